package netguard

import (
	"encoding/binary"
	"net/netip"
)

// The IANA special-purpose address registries (iana-ipv4-special-registry,
// iana-ipv6-special-registry), as PublicAddr applies them: a block listed
// there as not globally reachable is refused; the few blocks inside those
// that the registry marks globally reachable (anycast services, AS112) are
// allowed; the blocks that carry an IPv4 address (IPv4-mapped, NAT64's
// well-known prefix, 6to4, Teredo) are judged by the IPv4 address they
// embed. Multicast and the deprecated site-local and IPv4-compatible
// blocks, which are not unicast destinations at all, are refused too.

// refusedV4 are the IPv4 blocks that are not globally reachable.
var refusedV4 = prefixes(
	"0.0.0.0/8",          // "this network"
	"10.0.0.0/8",         // private
	"100.64.0.0/10",      // shared address space (CGNAT)
	"127.0.0.0/8",        // loopback
	"169.254.0.0/16",     // link-local (cloud metadata)
	"172.16.0.0/12",      // private
	"192.0.0.0/24",       // IETF protocol assignments (but see allowedV4)
	"192.0.2.0/24",       // documentation (TEST-NET-1)
	"192.88.99.0/24",     // deprecated 6to4 relay anycast
	"192.168.0.0/16",     // private
	"198.18.0.0/15",      // benchmarking
	"198.51.100.0/24",    // documentation (TEST-NET-2)
	"203.0.113.0/24",     // documentation (TEST-NET-3)
	"224.0.0.0/4",        // multicast
	"240.0.0.0/4",        // reserved for future use
	"255.255.255.255/32", // limited broadcast
)

// allowedV4 are globally reachable blocks inside refusedV4.
var allowedV4 = prefixes(
	"192.0.0.9/32",  // port control protocol anycast
	"192.0.0.10/32", // traversal using relays around NAT anycast
)

// refusedV6 are the IPv6 blocks that are not globally reachable, or not
// unicast destinations.
var refusedV6 = prefixes(
	"::/96",          // unspecified, loopback, deprecated IPv4-compatible
	"64:ff9b:1::/48", // local-use IPv4/IPv6 translation
	"100::/64",       // discard-only
	"100:0:0:1::/64", // dummy IPv6 prefix
	"2001::/23",      // IETF protocol assignments (but see allowedV6; Teredo is judged by its IPv4)
	"2001:db8::/32",  // documentation
	"3fff::/20",      // documentation
	"5f00::/16",      // segment routing SIDs
	"fc00::/7",       // unique local
	"fe80::/10",      // link-local
	"fec0::/10",      // deprecated site-local
	"ff00::/8",       // multicast
)

// allowedV6 are globally reachable blocks inside refusedV6.
var allowedV6 = prefixes(
	"2001:1::1/128",   // port control protocol anycast
	"2001:1::2/128",   // traversal using relays around NAT anycast
	"2001:1::3/128",   // DNS-SD service registration protocol anycast
	"2001:3::/32",     // AMT
	"2001:4:112::/48", // AS112-v6
	"2001:20::/28",    // ORCHIDv2
	"2001:30::/28",    // drone remote ID
)

// The IPv6 blocks whose addresses embed an IPv4 address.
var (
	nat64  = netip.MustParsePrefix("64:ff9b::/96") // well-known translation prefix: the last 32 bits
	sixTo4 = netip.MustParsePrefix("2002::/16")    // 6to4: bits 16 to 47
	teredo = netip.MustParsePrefix("2001::/32")    // Teredo: the server in bits 32 to 63, the client (inverted) in the last 32
)

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

func within(ip netip.Addr, ps []netip.Prefix) bool {
	for _, p := range ps {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// embeddedV4 returns the IPv4 addresses ip carries (one for mapped, NAT64
// and 6to4 addresses, two for Teredo), and whether it carries any.
func embeddedV4(ip netip.Addr) ([]netip.Addr, bool) {
	b := ip.As16()
	v4 := func(bs []byte) netip.Addr { return netip.AddrFrom4([4]byte(bs)) }
	switch {
	case ip.Is4In6():
		return []netip.Addr{ip.Unmap()}, true
	case nat64.Contains(ip):
		return []netip.Addr{v4(b[12:16])}, true
	case sixTo4.Contains(ip):
		return []netip.Addr{v4(b[2:6])}, true
	case teredo.Contains(ip):
		var client [4]byte
		binary.BigEndian.PutUint32(client[:], ^binary.BigEndian.Uint32(b[12:16]))
		return []netip.Addr{v4(b[4:8]), netip.AddrFrom4(client)}, true
	}
	return nil, false
}

// publicV4 applies the IPv4 registry.
func publicV4(ip netip.Addr) bool {
	return !within(ip, refusedV4) || within(ip, allowedV4)
}

// publicV6 applies the IPv6 registry, judging addresses that embed an
// IPv4 address by every address they embed.
func publicV6(ip netip.Addr) bool {
	if v4s, ok := embeddedV4(ip); ok {
		for _, v4 := range v4s {
			if !publicV4(v4) {
				return false
			}
		}
		return true
	}
	return !within(ip, refusedV6) || within(ip, allowedV6)
}
