package poller

import (
	"net/http"
	"net/netip"
	"time"

	"github.com/paysync/paysync/netguard"
)

// ErrPrivateAddress is netguard.ErrPrivateAddress, kept here for callers of the poller.
var ErrPrivateAddress = netguard.ErrPrivateAddress

// HTTPClient is netguard.HTTPClient: timeouts on every phase, no redirects
// followed, and unless allowPrivate only public addresses, checked at connect time.
func HTTPClient(allowPrivate bool, timeout time.Duration) *http.Client {
	return netguard.HTTPClient(allowPrivate, timeout)
}

// PublicAddr is netguard.PublicAddr.
func PublicAddr(ip netip.Addr) bool { return netguard.PublicAddr(ip) }
