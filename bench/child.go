package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"time"

	"golang.org/x/time/rate"

	paysync "github.com/paysync/paysync/internal/app"
	"github.com/paysync/paysync/logline"
	"github.com/paysync/paysync/store"
)

// childFlag, as the bench's first argument, makes it the service under
// measurement instead: paysync as `paysync serve` runs it (internal/app,
// JSON logs on stderr), plus the no-op routes, on its own process, so the
// load generator and the sandbox PayUnit don't share its CPU accounting.
const childFlag = "-serve-child"

// childKeyEnv passes the master key to the child (never on its command line).
const childKeyEnv = "PAYSYNC_BENCH_MASTER_KEY"

// childProfileEnv, when set, names a file for a CPU profile of the
// service process's whole run (with -backends sqlite,postgres, the
// PostgreSQL service's goes to the name plus ".postgres").
const childProfileEnv = "PAYSYNC_BENCH_SERVICE_CPUPROFILE"

// runChild is the child's main: it serves the database named by -db until
// its standard input closes, then shuts down in order.
func runChild(args []string) error {
	fs := flag.NewFlagSet("bench "+childFlag, flag.ContinueOnError)
	db := fs.String("db", "", "database")
	conc := fs.Int("poll-concurrency", 16, "")
	grace := fs.Duration("poll-grace", time.Minute, "")
	minIv := fs.Duration("poll-min-interval", 5*time.Second, "")
	maxIv := fs.Duration("poll-max-interval", 10*time.Minute, "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	key, err := hex.DecodeString(os.Getenv(childKeyEnv))
	if err != nil || len(key) != 32 {
		return fmt.Errorf("%s must hold 32 bytes in hex", childKeyEnv)
	}
	return profiled(os.Getenv(childProfileEnv), "", func() error { return serveChild(*db, key, *conc, *grace, *minIv, *maxIv) })
}

// serveChild runs the service until its standard input closes.
func serveChild(db string, key []byte, conc int, grace, minIv, maxIv time.Duration) error {
	ctx := context.Background()
	app, err := paysync.Start(ctx, paysync.Config{Addr: "127.0.0.1:0", DB: db, PublicURL: "http://bench.test",
		MasterKey: key, PollGrace: grace, PollMinInterval: minIv, PollMaxInterval: maxIv, AllowPrivateURLs: true,
		Logger:            slog.New(logline.New(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})), // as the service's (internal/cli),
		Routes:            noopRoutes,
		PollerConcurrency: conc, MerchantRate: rate.Inf, MerchantBurst: 1,
		// Early callbacks are measured, not refused (one merchant sends them
		// all): the held bounds are lifted (their check reads one row
		// whatever they are), and the rate bound keeps production's 300
		// per window, whose check scans up to that many index entries, over
		// a window of 10 ms instead of a minute (30,000/s).
		Unmatched: store.UnmatchedLimits{Count: 1 << 30, Bytes: 1 << 40, PerWindow: 300, Window: 10 * time.Millisecond}})
	if err != nil {
		return err
	}
	fmt.Printf("ADDR %s\n", app.Addr())
	io.Copy(io.Discard, os.Stdin) // until the parent closes it (or dies)
	return app.Shutdown()
}

// child is the service process as the parent sees it.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	base  string // http://127.0.0.1:port
}

// startChild starts this executable as the service over the database at
// dbPath, its stderr (the service's log) going to logPath.
func startChild(dbPath, logPath string, key []byte, o options) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(exe, childFlag, "-db", dbPath, "-poll-concurrency", fmt.Sprint(o.pollConcurrency),
		"-poll-grace", o.pollGrace.String(), "-poll-min-interval", o.pollMin.String(), "-poll-max-interval", o.pollMax.String())
	cmd.Env = append(os.Environ(), childKeyEnv+"="+hex.EncodeToString(key))
	if prof := os.Getenv(childProfileEnv); prof != "" && strings.HasPrefix(dbPath, "postgres") {
		cmd.Env = append(cmd.Env, childProfileEnv+"="+prof+".postgres") // the SQLite service's keeps the name
	}
	cmd.Stderr = logf
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, stdin: stdin}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "ADDR ")
	if err != nil || !ok {
		c.stop()
		return nil, fmt.Errorf("the service process did not start (see %s): %q %v", logPath, line, err)
	}
	c.base = "http://" + addr
	return c, nil
}

// stop closes the child's stdin (it shuts down in order) and waits for it.
func (c *child) stop() error {
	c.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(time.Minute):
		c.cmd.Process.Kill()
		return errors.Join(errors.New("the service process did not stop within a minute: killed"), <-done)
	}
}
