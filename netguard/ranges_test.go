package netguard

import (
	"net/netip"
	"testing"
)

// TestPublicAddrSpecialPurpose walks the IANA special-purpose registries:
// every block not globally reachable is refused, the globally reachable
// exceptions pass, and the IPv6 forms that embed an IPv4 address are
// judged by it (http://[64:ff9b::a9fe:a9fe]/ is 169.254.169.254 on a NAT64
// network).
func TestPublicAddrSpecialPurpose(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		addr string
		want bool
	}{
		// IPv4 registry.
		{"0.1.2.3", false}, {"10.0.0.1", false}, {"100.64.0.1", false}, {"100.127.255.254", false},
		{"127.0.0.1", false}, {"169.254.169.254", false}, {"172.31.255.255", false},
		{"192.0.0.1", false}, {"192.0.0.9", true}, {"192.0.0.10", true}, {"192.0.2.1", false},
		{"192.88.99.1", false}, {"192.168.0.1", false}, {"198.18.0.1", false}, {"198.19.255.255", false},
		{"198.51.100.7", false}, {"203.0.113.9", false}, {"224.0.0.1", false}, {"239.255.255.250", false},
		{"240.0.0.1", false}, {"250.1.2.3", false}, {"255.255.255.255", false},
		{"8.8.8.8", true}, {"1.1.1.1", true}, {"198.20.0.1", true}, {"192.31.196.1", true}, {"100.128.0.1", true},
		// IPv6 registry.
		{"::", false}, {"::1", false}, {"::8.8.8.8", false}, {"::a9fe:a9fe", false},
		{"64:ff9b:1::808:808", false}, {"100::1", false}, {"100:0:0:1::1", false},
		{"2001:2::1", false}, {"2001:10::1", false}, {"2001:db8::1", false}, {"3fff::1", false},
		{"5f00::1", false}, {"fc00::1", false}, {"fd12:3456::1", false}, {"fe80::1", false},
		{"fe80::1%eth0", false}, {"fec0::1", false}, {"ff02::1", false},
		{"2001:1::1", true}, {"2001:3::1", true}, {"2001:4:112::1", true}, {"2001:20::1", true},
		{"2001:4860:4860::8888", true}, {"2a00:1450:4007:80e::200e", true},
		// IPv4-mapped: the IPv4 address decides.
		{"::ffff:127.0.0.1", false}, {"::ffff:169.254.169.254", false}, {"::ffff:8.8.8.8", true},
		// NAT64 well-known prefix: the last 32 bits.
		{"64:ff9b::a9fe:a9fe", false}, {"64:ff9b::7f00:1", false}, {"64:ff9b::a00:1", false},
		{"64:ff9b::c612:1", false}, {"64:ff9b::808:808", true},
		// 6to4: bits 16 to 47.
		{"2002:a9fe:a9fe::1", false}, {"2002:7f00:1::", false}, {"2002:c0a8:101::1", false},
		{"2002:808:808::1", true},
		// Teredo: the server in bits 32 to 63, the client inverted in the last 32.
		{"2001:0:808:808::5601:5601", false}, // client 169.254.169.254 (inverted)
		{"2001:0:a9fe:a9fe::f7f7:f7f7", false},
		{"2001:0:808:808::f7f7:f7f7", true},  // server 8.8.8.8, client 8.8.8.8
		{"2001:0:808:808::80ff:fffe", false}, // client 127.0.0.1
	} {
		if got := PublicAddr(netip.MustParseAddr(tc.addr)); got != tc.want {
			t.Errorf("PublicAddr(%s) = %v, want %v", tc.addr, got, tc.want)
		}
	}
	if PublicAddr(netip.Addr{}) {
		t.Error("the zero Addr is public")
	}
}
