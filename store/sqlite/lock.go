package sqlite

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// fileLock is an exclusive advisory lock (flock) on path+".lock", held for
// as long as the backend is open. The kernel drops it when the process
// dies, however it dies, so a restart after kill -9 takes it again.
type fileLock struct{ f *os.File }

// errInUse says another process serves the SQLite file.
var errInUse = errors.New("another paysync process has this SQLite file open; SQLite serves one process (run several instances on PostgreSQL)")

func lockFile(path string) (*fileLock, error) {
	f, err := os.OpenFile(lockPath(path), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s: %w", path, errInUse)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &fileLock{f: f}, nil
}

// lockPath is the lock file of the database at path, beside the file the
// path resolves to, so that two paths to one file (a symlink, a relative
// path) take one lock. Hard links to one file still take two.
func lockPath(path string) string {
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	} else if abs, err := filepath.Abs(path); err == nil {
		if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
			path = filepath.Join(dir, filepath.Base(abs)) // the file doesn't exist yet
		}
	}
	return path + ".lock"
}

func (l *fileLock) release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the descriptor drops the flock
	l.f = nil
	return err
}
