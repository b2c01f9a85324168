// Package pgtest gives tests a real PostgreSQL server: the one named by
// $PAYSYNC_TEST_POSTGRES, or else a throwaway cluster started from the
// installed binaries (initdb, pg_ctl) in a temporary folder and stopped
// when the test binary ends. Without either, tests skip, except under
// CI=true, where they fail: CI must run them.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL is the variable naming a server for the tests.
const EnvURL = "PAYSYNC_TEST_POSTGRES"

// Server is a PostgreSQL server for tests.
type Server struct {
	URL     string
	stop    func()
	restart func() error // Own's clusters only
}

var (
	once   sync.Once
	shared *Server
	err    error
)

// Main runs the tests of a package that uses pgtest and stops the
// throwaway cluster, if one was started, once they are done. Call it
// from TestMain: os.Exit(pgtest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if shared != nil && shared.stop != nil {
		shared.stop()
	}
	return code
}

// Start returns the server for this test binary, starting a throwaway
// cluster the first time if $PAYSYNC_TEST_POSTGRES is unset. It skips the
// test when no server can be had (fails it under CI=true).
func Start(t testing.TB) *Server {
	t.Helper()
	once.Do(func() {
		if u := os.Getenv(EnvURL); u != "" {
			shared = &Server{URL: u}
			return
		}
		shared, err = startCluster()
	})
	if err != nil || shared == nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is required under CI=true: set $%s or install PostgreSQL's server binaries: %v", EnvURL, err)
		}
		t.Skipf("no PostgreSQL for this test ($%s unset, and no cluster could be started: %v)", EnvURL, err)
	}
	return shared
}

// Schema returns a fresh schema name for one test and drops the schema
// at the test's end.
func (s *Server) Schema(t testing.TB) string {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	name := "t_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, s.URL)
		if err != nil {
			t.Logf("drop schema %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{name}.Sanitize()+` CASCADE`); err != nil {
			t.Logf("drop schema %s: %v", name, err)
		}
	})
	return name
}

// Database creates a fresh database for one test (for tests that run
// paysync processes, which use the default schema) and returns its URL;
// it is dropped at the test's end.
func (s *Server) Database(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	b := make([]byte, 6)
	rand.Read(b)
	name := "paysync_" + hex.EncodeToString(b)
	conn, err := pgx.Connect(ctx, s.URL)
	if err != nil {
		t.Fatalf("connect %s: %v", s.URL, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE DATABASE `+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, s.URL)
		if err != nil {
			return
		}
		defer conn.Close(ctx)
		conn.Exec(ctx, `DROP DATABASE IF EXISTS `+pgx.Identifier{name}.Sanitize()+` WITH (FORCE)`)
	})
	cfg, err := pgx.ParseConfig(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("postgres://%s@%s/%s?sslmode=disable", cfg.User, net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))), name)
}

// binDirs are where Debian and others install the server binaries.
var binDirs = []string{"/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/14/bin"}

func findBin(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range binDirs {
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found", name)
}

// StartCluster starts a throwaway cluster, as Start does when
// $PAYSYNC_TEST_POSTGRES is unset, for programs that are not tests (the
// bench); settings are extra server settings ("name=value", passed as -c).
// Stop stops it and removes its folder.
func StartCluster(settings ...string) (*Server, error) { return startCluster(settings...) }

// Stop stops a cluster StartCluster started (nothing for a server named
// by $PAYSYNC_TEST_POSTGRES).
func (s *Server) Stop() {
	if s.stop != nil {
		s.stop()
	}
}

// startCluster initdb's a cluster in a temporary folder and starts it on a
// free loopback port. PostgreSQL refuses to run as root: as root it runs
// as the postgres user.
func startCluster(settings ...string) (*Server, error) {
	initdb, err := findBin("initdb")
	if err != nil {
		return nil, err
	}
	pgctl, err := findBin("pg_ctl")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "paysync-pg")
	if err != nil {
		return nil, err
	}
	var asUser []string
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root and no postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
		asUser = []string{"runuser", "-u", "postgres", "--"}
	}
	run := func(args ...string) error {
		full := append(append([]string{}, asUser...), args...)
		out, err := exec.Command(full[0], full[1:]...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %w: %s", filepath.Base(args[0]), err, out)
		}
		return nil
	}
	data := filepath.Join(dir, "data")
	if err := run(initdb, "-D", data, "-A", "trust", "-U", "postgres", "--no-sync"); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=on -c max_connections=200", port, dir)
	for _, kv := range settings {
		opts += " -c " + kv
	}
	if err := run(pgctl, "-D", data, "-l", filepath.Join(dir, "log"), "-o", opts, "-w", "start"); err != nil {
		return nil, err
	}
	stop := func() {
		run(pgctl, "-D", data, "-m", "immediate", "-w", "stop")
		os.RemoveAll(dir)
	}
	restart := func() error {
		return run(pgctl, "-D", data, "-l", filepath.Join(dir, "log"), "-o", opts, "-m", "fast", "-w", "restart")
	}
	return &Server{URL: fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port), stop: stop, restart: restart}, nil
}

// Own starts a throwaway cluster for this test alone, one it may restart
// (Restart) without disturbing the other tests, and stops it at the
// test's end. It skips the test when no cluster can be started (fails it
// under CI=true); $PAYSYNC_TEST_POSTGRES names a server no test may
// restart, so it is not used here.
func Own(t testing.TB) *Server {
	t.Helper()
	s, err := startCluster()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is required under CI=true: install PostgreSQL's server binaries: %v", err)
		}
		t.Skipf("no PostgreSQL cluster of its own for this test: %v", err)
	}
	t.Cleanup(s.stop)
	return s
}

// Restart stops an Own cluster as an operator's restart does (fast: the
// sessions are cut, what was committed stays) and starts it again on the
// same port; it returns once the server accepts connections.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if s.restart == nil {
		t.Fatal("pgtest: only a cluster from Own can be restarted")
	}
	if err := s.restart(); err != nil {
		t.Fatalf("restart PostgreSQL: %v", err)
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
