package service_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/paysync/paysync/internal/testwait"
	"github.com/paysync/paysync/service"
)

// Stop lets a request in flight finish, then the server stops listening.
func TestHTTPServerStopFinishesRequestsInFlight(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		close(entered)
		<-release
		io.WriteString(w, "done")
	})}
	s, err := service.NewHTTPServer(service.HTTPConfig{Addr: "127.0.0.1:0", Server: srv})
	if err != nil {
		t.Fatal(err)
	}
	s.Start(context.Background())
	url := "http://" + s.Addr().String()
	answered := make(chan string, 1)
	go func() {
		resp, err := http.Get(url)
		if err != nil {
			answered <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		answered <- string(b)
	}()
	testwait.Signal(t, "the request to reach the handler", entered)
	stopped := make(chan struct{})
	go func() { s.Stop(); close(stopped) }()
	testwait.For(t, "the listener to close", func() bool {
		c, err := net.Dial("tcp", s.Addr().String())
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	if testwait.Never(stopped) {
		t.Fatal("Stop returned with a request in flight")
	}
	close(release)
	if got := testwait.Signal(t, "the request in flight to be answered", answered); got != "done" {
		t.Fatalf("the request in flight got %q, want done", got)
	}
	testwait.Signal(t, "Stop to return", stopped)
	if err := s.Err(); err != nil {
		t.Fatalf("Err = %v after a graceful shutdown", err)
	}
}

// A server stopped before it started closes its listener.
func TestHTTPServerStopBeforeStartCloses(t *testing.T) {
	s, err := service.NewHTTPServer(service.HTTPConfig{Addr: "127.0.0.1:0", Server: &http.Server{}})
	if err != nil {
		t.Fatal(err)
	}
	s.Stop()
	if c, err := net.Dial("tcp", s.Addr().String()); err == nil {
		c.Close()
		t.Fatal("the listener still accepts after Stop")
	}
}

// Notify never blocks and leaves one wake-up pending, however many come.
func TestSignalKeepsOneWakeUp(t *testing.T) {
	s := service.NewSignal()
	s.Notify()
	s.Notify()
	testwait.Signal(t, "the pending wake-up", s)
	if testwait.Never(s) {
		t.Fatal("two notifies left two wake-ups")
	}
}
