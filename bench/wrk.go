package main

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"github.com/jackc/pgx/v5"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

//go:embed wrk_load.lua
var wrkScript []byte

// wrkLoad is one closed-loop load driven by wrk (Debian's package), a
// separate process: kind and its arguments are those of wrk_load.lua.
type wrkLoad struct {
	kind, path string
	base, pool int
	idsFile    string // for kind "read"
	auth       string // bearer key for kind "read"
}

// wrkResult is what wrk reported of one load, plus the server's CPU time
// meanwhile (read from /proc) and wrk's own.
type wrkResult struct {
	requests, statusErrors, socketErrors int
	elapsed                              time.Duration
	p50, p99                             time.Duration
	maxK                                 int           // requests of the busiest thread (see wrk_load.lua)
	settled                              time.Duration // waited after the load for the work it left (in elapsed)
	serverCPU, genCPU                    time.Duration // the service's and wrk's CPU time
	dbCPU                                time.Duration // the PostgreSQL server's CPU time (0 on SQLite)
}

// add sums two loads of the same kind (rounds of one measure); the
// percentiles kept are the worse of the two.
func (r wrkResult) add(o wrkResult) wrkResult {
	return wrkResult{requests: r.requests + o.requests, statusErrors: r.statusErrors + o.statusErrors,
		socketErrors: r.socketErrors + o.socketErrors, elapsed: r.elapsed + o.elapsed,
		p50: max(r.p50, o.p50), p99: max(r.p99, o.p99), maxK: r.maxK + o.maxK, settled: r.settled + o.settled,
		serverCPU: r.serverCPU + o.serverCPU, genCPU: r.genCPU + o.genCPU, dbCPU: r.dbCPU + o.dbCPU}
}

func (r wrkResult) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.requests) / r.elapsed.Seconds()
}

// cpuPerReq is the service process's CPU time per answered request.
func (r wrkResult) cpuPerReq() time.Duration {
	if r.requests == 0 {
		return 0
	}
	return (r.serverCPU / time.Duration(r.requests)).Round(time.Microsecond)
}

// wrkRunner runs wrk against one service process.
type wrkRunner struct {
	base        string // http://127.0.0.1:port
	script      string // wrk_load.lua written out
	threads     int
	connections int
	serverPID   int
	dbCPU       func() (time.Duration, error) // the database server's CPU time so far; nil: in the service
}

func newWrkRunner(dir, base string, threads, connections, serverPID int) (*wrkRunner, error) {
	if _, err := exec.LookPath("wrk"); err != nil {
		return nil, fmt.Errorf("the load generator wrk is not installed (apt-get install wrk): %w", err)
	}
	script := filepath.Join(dir, "wrk_load.lua")
	if err := os.WriteFile(script, wrkScript, 0o600); err != nil {
		return nil, err
	}
	return &wrkRunner{base: base, script: script, threads: threads, connections: connections, serverPID: serverPID}, nil
}

// run drives load l for d and returns what wrk measured. settle, when
// set, waits after the load for the work it left behind (checks, inbox
// drains): its time counts in the load's elapsed time and the service's
// CPU, so that a rate is one the service sustains, not only acknowledges.
func (w *wrkRunner) run(ctx context.Context, d time.Duration, l wrkLoad, settle func(wrkResult) error) (wrkResult, error) {
	args := []string{"-t", strconv.Itoa(w.threads), "-c", strconv.Itoa(w.connections),
		"-d", fmt.Sprintf("%ds", max(1, int(d.Round(time.Second).Seconds()))), // wrk takes whole seconds
		"--timeout", "10s", "-s", w.script, w.base,
		"--", l.kind, l.path, strconv.Itoa(l.base), strconv.Itoa(max(l.pool, 1)), strconv.Itoa(w.threads)}
	if l.kind == "read" {
		args = append(args, l.idsFile, l.auth)
	}
	cmd := exec.CommandContext(ctx, "wrk", args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cpu0, err := processCPUOf(w.serverPID)
	if err != nil {
		return wrkResult{}, err
	}
	var db0 time.Duration
	if w.dbCPU != nil {
		if db0, err = w.dbCPU(); err != nil {
			return wrkResult{}, err
		}
	}
	if err := cmd.Run(); err != nil {
		return wrkResult{}, fmt.Errorf("wrk %s: %w: %s %s", l.kind, err, out.String(), errOut.String())
	}
	r, err := parseWrk(out.String())
	if err != nil {
		return r, fmt.Errorf("wrk %s: %w", l.kind, err)
	}
	var waited time.Duration
	if settle != nil {
		start := time.Now()
		if err := settle(r); err != nil {
			return wrkResult{}, fmt.Errorf("after wrk %s: %w", l.kind, err)
		}
		waited = time.Since(start)
	}
	cpu1, err := processCPUOf(w.serverPID)
	if err != nil {
		return wrkResult{}, err
	}
	r.serverCPU = cpu1 - cpu0
	if w.dbCPU != nil {
		db1, err := w.dbCPU()
		if err != nil {
			return wrkResult{}, err
		}
		r.dbCPU = db1 - db0
	}
	r.elapsed += waited
	r.settled = waited
	r.genCPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return r, nil
}

// parseWrk reads the BENCH line wrk_load.lua's done() prints.
func parseWrk(out string) (wrkResult, error) {
	var r wrkResult
	for line := range strings.Lines(out) {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "BENCH ")
		if !ok {
			continue
		}
		v := map[string]int{}
		for _, f := range strings.Fields(rest) {
			name, num, _ := strings.Cut(f, "=")
			n, err := strconv.Atoi(num)
			if err != nil {
				return r, fmt.Errorf("unreadable %q in %q", f, line)
			}
			v[name] = n
		}
		r.requests, r.statusErrors, r.socketErrors, r.maxK = v["requests"], v["status_errors"], v["socket_errors"], v["max_k"]
		r.elapsed = time.Duration(v["duration_us"]) * time.Microsecond
		r.p50, r.p99 = time.Duration(v["p50_us"])*time.Microsecond, time.Duration(v["p99_us"])*time.Microsecond
		return r, nil
	}
	return r, fmt.Errorf("no BENCH line in its output: %q", out)
}

// processCPUOf returns the user+system CPU time process pid used so far
// (from /proc/pid/stat, in clock ticks of 10 ms).
func processCPUOf(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read the service's CPU time: %w", err)
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("unreadable /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("unreadable /proc/%d/stat", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("unreadable /proc/%d/stat", pid)
	}
	const tick = 10 * time.Millisecond // USER_HZ is 100 on Linux
	return time.Duration(utime+stime) * tick, nil
}

// dbCPUPerReq is the database server's CPU time per answered request.
func (r wrkResult) dbCPUPerReq() time.Duration {
	if r.requests == 0 {
		return 0
	}
	return (r.dbCPU / time.Duration(r.requests)).Round(time.Microsecond)
}

// postgresCPU returns a function reading the CPU time of the PostgreSQL
// server at admin so far: its postmaster's (with its children that
// exited) and every live child's (backends, WAL writer, checkpointer…),
// from /proc. The server must run on this machine (the throwaway cluster).
func postgresCPU(ctx context.Context, admin string) (func() (time.Duration, error), error) {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	var dir string
	if err := conn.QueryRow(ctx, `SHOW data_directory`).Scan(&dir); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		return nil, fmt.Errorf("the PostgreSQL server's CPU: %w", err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pm, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		return nil, fmt.Errorf("the PostgreSQL server's CPU: postmaster.pid: %w", err)
	}
	return func() (time.Duration, error) {
		total, err := procCPU(pm, true)
		if err != nil {
			return 0, err
		}
		entries, err := os.ReadDir("/proc")
		if err != nil {
			return 0, err
		}
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil || pid == pm {
				continue
			}
			if ppid, err := procParent(pid); err == nil && ppid == pm {
				if t, err := procCPU(pid, false); err == nil { // it may have exited meanwhile
					total += t
				}
			}
		}
		return total, nil
	}, nil
}

// procStat returns the fields of /proc/pid/stat after the command name.
func procStat(pid int) ([]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, fmt.Errorf("unreadable /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 15 {
		return nil, fmt.Errorf("unreadable /proc/%d/stat", pid)
	}
	return f, nil
}

func procParent(pid int) (int, error) {
	f, err := procStat(pid)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(f[1])
}

// procCPU is a process's user+system time, and its waited-for children's
// when children is set.
func procCPU(pid int, children bool) (time.Duration, error) {
	f, err := procStat(pid)
	if err != nil {
		return 0, err
	}
	fields := []int{11, 12}
	if children {
		fields = append(fields, 13, 14)
	}
	var ticks int64
	for _, i := range fields {
		v, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("unreadable /proc/%d/stat", pid)
		}
		ticks += v
	}
	return time.Duration(ticks) * 10 * time.Millisecond, nil
}
