package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	paysync "github.com/paysync/paysync/internal/app"
	"github.com/paysync/paysync/logline"
)

func serveCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", stderr)
	cfg, check := bindConfig(fs, getenv, "paysync.db")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := newLogger(stderr, slog.LevelInfo)
	if err := check(); err != nil {
		return reported(log, err)
	}
	if cfg.AdminToken == "" {
		log.Info("admin API off: set --admin-token (or $PAYSYNC_ADMIN_TOKEN) to create merchants over HTTP, or use `paysync merchant create`")
	}
	if cfg.MasterKey == "" {
		log.Info("no --master-key (or $PAYSYNC_MASTER_KEY): merchants' provider credentials and webhook secrets can't be sealed, so none can be created; set one before the first merchant")
	}
	if err := serve(ctx, cfg, log, stdout, nil); err != nil {
		return reported(log, err)
	}
	return nil
}

// newLogger writes slog's JSON lines to w, one write per line, through
// logline (the same lines, encoded more cheaply: the request log's).
func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(logline.New(w, &slog.HandlerOptions{Level: level}))
}

// reportedError is an error the command already wrote to its log, as a
// JSON line like the rest (main then adds nothing).
type reportedError struct{ error }

func (e reportedError) Unwrap() error { return e.error }

// reported logs err as the command's fatal error and returns it marked
// as logged.
func reported(log *slog.Logger, err error) error {
	log.Error("paysync stopped", "err", err)
	return reportedError{err}
}

// Reported reports whether err, returned by Run, is already in the
// command's log, so the caller need not print it again.
func Reported(err error) bool {
	var r reportedError
	return errors.As(err, &r)
}

// serve runs the service until ctx ends. started, if set, learns the
// running service (tests use it to find the port). It prints
// "paysync listening on <url>" on stdout once it listens (serve's one line
// for scripts; the demo prints its own banner instead).
func serve(ctx context.Context, cfg *config, log *slog.Logger, stdout io.Writer, started func(*paysync.App)) error {
	ac, err := cfg.app(log)
	if err != nil {
		return err
	}
	a, err := paysync.Start(ctx, ac)
	if err != nil {
		return err
	}
	if cfg.consoleDemo == nil {
		fmt.Fprintf(stdout, "paysync listening on http://%s\n", a.Addr())
	}
	if started != nil {
		started(a)
	}
	<-ctx.Done()
	log.Info("shutting down")
	return a.Shutdown()
}
