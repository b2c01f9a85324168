// Package netguard keeps paysync's outbound HTTP away from internal
// networks: an http.Client whose dialer refuses loopback, private,
// link-local (cloud metadata) and other non-public addresses on the
// resolved IP at connect time, so DNS rebinding doesn't get around it. Used
// for provider status checks and merchant webhooks.
package netguard

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrPrivateAddress is returned when a URL resolves to a loopback,
// private, link-local or otherwise internal address and those aren't allowed.
var ErrPrivateAddress = errors.New("address is not public")

// HTTPClient returns the client for outbound calls (provider checks,
// merchant webhooks): timeouts on every
// phase, no redirects followed, and unless allowPrivate, connections only
// to public addresses — checked on the resolved IP at connect time, so DNS
// tricks don't get around it.
func HTTPClient(allowPrivate bool, timeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		dialer.Control = refusePrivate
	}
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: timeout,
	}
	return &http.Client{
		Transport:     transport,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func refusePrivate(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("dial %s: %w", address, err)
	}
	if !PublicAddr(ap.Addr()) {
		return fmt.Errorf("dial %s: %w", address, ErrPrivateAddress)
	}
	return nil
}

// PublicAddr reports whether ip is a public unicast address by the IANA
// special-purpose registries (see ranges.go): not loopback, private,
// link-local (cloud metadata lives there), shared (CGNAT), documentation,
// benchmarking, reserved, multicast or unspecified, and, for the IPv6
// forms that embed an IPv4 address (IPv4-mapped, NAT64, 6to4, Teredo),
// with that address public too. A zone (fe80::1%eth0) is ignored.
func PublicAddr(ip netip.Addr) bool {
	if !ip.IsValid() {
		return false
	}
	ip = ip.WithZone("")
	if ip.Is4() {
		return publicV4(ip)
	}
	return publicV6(ip)
}
