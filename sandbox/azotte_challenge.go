package sandbox

import (
	"html/template"
	"net/http"
)

// challengePage is what the challenge routes render.
type challengePage struct {
	Tracking  string
	Decision  string // taken already, if any
	ReturnURL string // for the post-back form
}

var challengeTemplates = template.Must(template.New("challenge").Parse(`{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.}} · Azotte sandbox</title>
<style>
body{font:1.05rem/1.5 system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#111;background:#fff}
button{font:inherit;padding:.7rem 1.2rem;margin:.3rem .5rem .3rem 0;border-radius:.4rem;border:2px solid #111;cursor:pointer}
#approve{background:#0a5c2f;color:#fff;border-color:#0a5c2f}
#decline{background:#fff;color:#8a1010;border-color:#8a1010}
button:focus-visible{outline:3px solid #1a4fd6;outline-offset:2px}
</style></head><body><main>{{end}}
{{define "page"}}{{template "head" "3-D Secure check"}}
<h1>3-D Secure check</h1>
<p>Azotte sandbox: confirm the payment for checkout <code>{{.Tracking}}</code>.</p>
{{if .Decision}}<p role="status">A decision was already taken: {{.Decision}}.</p>{{end}}
<form method="post" action="/challenge/{{.Tracking}}">
<fieldset><legend>Do you authorise this payment?</legend>
<button type="submit" id="approve" name="decision" value="approve">Approve</button>
<button type="submit" id="decline" name="decision" value="decline">Decline</button>
</fieldset></form>
</main></body></html>
{{end}}
{{define "postback"}}{{template "head" "Returning to the shop"}}
<h1>Returning to the shop</h1>
<form id="return" method="post" action="{{.ReturnURL}}">
<input type="hidden" name="trackingNumber" value="{{.Tracking}}">
<input type="hidden" name="decision" value="{{.Decision}}">
<p>If nothing happens, continue by hand.</p>
<button type="submit" id="continue">Continue</button>
</form>
<script>document.getElementById("return").submit();</script>
</main></body></html>
{{end}}
{{define "done"}}{{template "head" "Decision recorded"}}
<h1>Decision recorded</h1>
<p role="status">You chose to {{.Decision}} checkout <code>{{.Tracking}}</code>. No return URL is set, so you can close this page.</p>
</main></body></html>
{{end}}`))

// lookupChallenge returns a copy of the checkout with a 3-D Secure
// challenge, or false.
func (az *Azotte) lookupChallenge(tracking string) (azotteCheckout, bool) {
	az.mu.Lock()
	defer az.mu.Unlock()
	c, ok := az.checkouts[tracking]
	if !ok || (c.Scenario != Azotte3DS && c.Scenario != Azotte3DSHTML) {
		return azotteCheckout{}, false
	}
	return *c, true
}

// handleChallengePage serves GET /challenge/{trackingNumber}: the buyer's
// challenge, a form with Approve and Decline buttons.
func (az *Azotte) handleChallengePage(w http.ResponseWriter, r *http.Request) {
	c, ok := az.lookupChallenge(r.PathValue("trackingNumber"))
	if !ok {
		http.Error(w, "no 3-D Secure challenge for this tracking number", http.StatusNotFound)
		return
	}
	renderChallenge(w, "page", challengePage{Tracking: c.TrackingNumber, Decision: c.decision})
}

// handleChallengePost serves POST /challenge/{trackingNumber}. With a
// decision (approve or decline) it records it (the first one counts) and
// sends the browser back to the return URL: 303, or an auto-submitted POST
// form when the checkout asked for PostBack. Without one (the step-up form
// of htmlContent) it shows the challenge.
func (az *Azotte) handleChallengePost(w http.ResponseWriter, r *http.Request) {
	tracking := r.PathValue("trackingNumber")
	c, ok := az.lookupChallenge(tracking)
	if !ok {
		http.Error(w, "no 3-D Secure challenge for this tracking number", http.StatusNotFound)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "unreadable form", http.StatusBadRequest)
		return
	}
	decision := r.PostForm.Get("decision")
	switch decision {
	case "":
		renderChallenge(w, "page", challengePage{Tracking: tracking, Decision: c.decision})
		return
	case DecisionApprove, DecisionDecline:
	default:
		http.Error(w, "decision must be approve or decline", http.StatusBadRequest)
		return
	}
	c = az.decide(tracking, decision)
	page := challengePage{Tracking: tracking, Decision: c.decision, ReturnURL: c.ReturnURL}
	switch {
	case c.ReturnURL == "":
		renderChallenge(w, "done", page)
	case c.PostBack:
		renderChallenge(w, "postback", page)
	default:
		http.Redirect(w, r, c.ReturnURL, http.StatusSeeOther)
	}
}

// decide records the buyer's first decision and returns the checkout.
func (az *Azotte) decide(tracking, decision string) azotteCheckout {
	az.mu.Lock()
	defer az.mu.Unlock()
	c := az.checkouts[tracking]
	if c.decision == "" {
		c.decision = decision
	}
	return *c
}

func renderChallenge(w http.ResponseWriter, name string, page challengePage) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = challengeTemplates.ExecuteTemplate(w, name, page)
}
