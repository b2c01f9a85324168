package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	paysync "github.com/paysync/paysync/internal/app"
)

func serveCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", stderr)
	cfg, err := parseConfig(fs, args, getenv, "paysync.db")
	if err != nil {
		return err
	}
	return serve(ctx, cfg, newLogger(stderr), stdout, nil)
}

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// serve runs the service until ctx ends. started, if set, learns the
// running service (tests use it to find the port).
func serve(ctx context.Context, cfg *config, log *slog.Logger, stdout io.Writer, started func(*paysync.App)) error {
	ac, err := cfg.app(log)
	if err != nil {
		return err
	}
	a, err := paysync.Start(ctx, ac)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "paysync listening on http://%s\n", a.Addr())
	if started != nil {
		started(a)
	}
	<-ctx.Done()
	log.Info("shutting down")
	return a.Shutdown()
}
