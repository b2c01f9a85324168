package azotte

import "testing"

func TestUsableRedirect(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		r    Result
		want bool
	}{
		{Result{RedirectURL: "https://psp.example/3ds/abc"}, true},
		{Result{RedirectURL: "javascript:alert(1)"}, false},
		{Result{RedirectURL: "/relative"}, false},
		{Result{}, false},
		{Result{HTMLContent: "<form></form>"}, false},
		{Result{HTMLContent: "<form></form>", ShowHTMLContent: true}, true},
		{Result{ShowHTMLContent: true, RedirectURL: "https://psp.example/x"}, true},
	} {
		if got := usableRedirect(tt.r); got != tt.want {
			t.Errorf("usableRedirect(%+v) = %v, want %v", tt.r, got, tt.want)
		}
	}
}
