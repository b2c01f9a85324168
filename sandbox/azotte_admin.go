package sandbox

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
)

// azotteCreateRequest is the body of POST /sandbox/checkouts.
type azotteCreateRequest struct {
	TrackingNumber   string `json:"tracking_number"`
	Scenario         string `json:"scenario"`
	ReturnURL        string `json:"return_url"`
	PostBack         bool   `json:"post_back"`
	ProcessingChecks int    `json:"processing_checks"`
	RetryAfter       int    `json:"retry_after"`
	FollowUpSeconds  int    `json:"retry_after_seconds"`
}

// handleCreate serves POST /sandbox/checkouts: it creates a checkout and
// answers 201 {"trackingNumber": "trk_…", "challenge_url": "…"}.
func (az *Azotte) handleCreate(w http.ResponseWriter, r *http.Request) {
	var req azotteCreateRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&req); err != nil && err != io.EOF {
		writeJSON(w, http.StatusBadRequest, errorBody{"invalid JSON body"})
		return
	}
	switch {
	case !ValidAzotteScenario(req.Scenario):
		writeJSON(w, http.StatusBadRequest, errorBody{"scenario must be done, 3ds, 3ds_html, failed, not_found_then_found, conflict or never"})
		return
	case req.ReturnURL != "" && !absoluteHTTP(req.ReturnURL):
		writeJSON(w, http.StatusBadRequest, errorBody{"return_url must be an absolute http(s) URL"})
		return
	case req.ProcessingChecks < 0 || req.RetryAfter < 0 || req.FollowUpSeconds < 0:
		writeJSON(w, http.StatusBadRequest, errorBody{"counts and delays must not be negative"})
		return
	}
	tracking := az.Create(AzotteCheckout{TrackingNumber: req.TrackingNumber, Scenario: req.Scenario, ReturnURL: req.ReturnURL,
		PostBack: req.PostBack, ProcessingChecks: req.ProcessingChecks, RetryAfter: req.RetryAfter, FollowUpSeconds: req.FollowUpSeconds})
	writeJSON(w, http.StatusCreated, map[string]string{"trackingNumber": tracking, "challenge_url": challengeURL(r, tracking)})
}

// handleSetReturnURL serves POST /sandbox/checkouts/{trackingNumber}/return_url
// with {"return_url": "…"}: 200, or 404 for an unknown tracking number.
func (az *Azotte) handleSetReturnURL(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ReturnURL string `json:"return_url"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&req); err != nil || !absoluteHTTP(req.ReturnURL) {
		writeJSON(w, http.StatusBadRequest, errorBody{`body must be {"return_url": "<absolute http(s) URL>"}`})
		return
	}
	tracking := r.PathValue("trackingNumber")
	if !az.SetReturnURL(tracking, req.ReturnURL) {
		writeJSON(w, http.StatusNotFound, errorBody{"tracking number not found"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"trackingNumber": tracking, "return_url": req.ReturnURL})
}

// absoluteHTTP reports whether s is an absolute http(s) URL.
func absoluteHTTP(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
