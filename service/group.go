package service

import "context"

// Group is a list of services started in order and stopped in reverse: a
// service is started after everything it needs and stopped before it. The
// zero value is an empty group.
type Group struct {
	services []Service
	running  int // how many of services were started
}

// NewGroup returns a group of services, in start order.
func NewGroup(services ...Service) *Group {
	return &Group{services: services}
}

// Add appends services to the group, to be started after those it holds.
// Add services before Start.
func (g *Group) Add(services ...Service) {
	g.services = append(g.services, services...)
}

// Start starts every service in order, each with ctx.
func (g *Group) Start(ctx context.Context) {
	for _, s := range g.services[g.running:] {
		s.Start(ctx)
		g.running++
	}
}

// Stop stops the started services in reverse order, each after the one
// started after it has stopped.
func (g *Group) Stop() {
	for ; g.running > 0; g.running-- {
		g.services[g.running-1].Stop()
	}
}

// Func is a service made of two functions, for what has no goroutine of its
// own but a start and a stop to order among the others (closing the change
// feed, for example). Either may be nil.
type Func struct {
	OnStart func(ctx context.Context)
	OnStop  func()
}

// Start calls OnStart.
func (f Func) Start(ctx context.Context) {
	if f.OnStart != nil {
		f.OnStart(ctx)
	}
}

// Stop calls OnStop.
func (f Func) Stop() {
	if f.OnStop != nil {
		f.OnStop()
	}
}
