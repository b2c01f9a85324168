package store

// Waker makes a background worker (the poller, the webhook dispatcher, the
// inbox drainer) look at its due work now; Wake never blocks. The rooms
// that take a write which makes work due hold one.
type Waker interface{ Wake() }

// NopWaker is the Waker that wakes nobody: the default where no worker is
// wired.
type NopWaker struct{}

// Wake does nothing.
func (NopWaker) Wake() {}
