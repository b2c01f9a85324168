package statusapi

import "testing"

func TestClassifyAndDetail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code   int
		class  Class
		detail string
	}{
		{100, Transient, "request rejected"},
		{301, Rejected, "unexpected redirect"},
		{302, Rejected, "unexpected redirect"},
		{400, Rejected, "request rejected"},
		{401, Auth, "credentials rejected"},
		{403, Auth, "credentials rejected"},
		{404, NotFound, "not found"},
		{408, Transient, "request rejected"},
		{409, Rejected, "request rejected"},
		{422, Rejected, "request rejected"},
		{425, Transient, "request rejected"},
		{429, Transient, "rate limited"},
		{500, Transient, "server error"},
		{503, Transient, "server error"},
		{600, Transient, "server error"},
	}
	for _, tt := range tests {
		if got := Classify(tt.code); got != tt.class {
			t.Errorf("Classify(%d) = %v, want %v", tt.code, got, tt.class)
		}
		if got := Detail(tt.code); got != tt.detail {
			t.Errorf("Detail(%d) = %q, want %q", tt.code, got, tt.detail)
		}
	}
}
