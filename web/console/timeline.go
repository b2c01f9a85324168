package console

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/paysync/paysync/store"
)

// entry is one line of a checkout's timeline.
type entry struct {
	At       time.Time
	Kind     string // callback, check, transition, browser, merchant, start, anomaly, webhook, other
	Title    string // English; the template translates it
	Outcome  string // a start's: "started", "refused" or "no answer" (English; translated)
	Source   string
	Status   string // the provider's raw status, when there is one
	From, To store.State
	Detail   string
	Raw      string // a callback's raw body (and query)
	// Repeats is how many identical callbacks a callback entry stands
	// for (shown when more than 1), the last at LastAt; Overflow marks the
	// entry of the callbacks beyond the checkout's bounds (no body kept).
	Repeats  int
	LastAt   *time.Time
	Overflow bool
	Delivery *store.Delivery
	seq      int
}

// checkoutView is the checkout page's data.
type checkoutView struct {
	Checkout   store.Checkout
	Entries    []entry
	Deliveries []store.Delivery
	Pending    bool   // a delivery is still to be attempted: the page keeps refreshing
	Done       string // what the last action did, for the flash line
	Purged     bool   // the checkout's history is no longer kept
	Demo       bool   // in `paysync demo`: a started payment's page is offered to the newcomer as the buyer
	// Page and Pages place Entries, one page of the timeline (timelinePage
	// entries), in the whole; PrevURL and NextURL are the neighbours' ("" at an end).
	Page, Pages      int
	PrevURL, NextURL string
}

// timelinePage is how many timeline entries one page of a checkout shows.
const timelinePage = 50

// paginate keeps the page-th (from 1) page of v's entries, oldest first,
// and links its neighbours under base.
func (v *checkoutView) paginate(page int, base string) {
	v.Pages = max(1, (len(v.Entries)+timelinePage-1)/timelinePage)
	v.Page = min(max(page, 1), v.Pages)
	from := (v.Page - 1) * timelinePage
	v.Entries = v.Entries[from:min(from+timelinePage, len(v.Entries))]
	if v.Page > 1 {
		v.PrevURL = fmt.Sprintf("%s?page=%d", base, v.Page-1)
	}
	if v.Page < v.Pages {
		v.NextURL = fmt.Sprintf("%s?page=%d", base, v.Page+1)
	}
}

// timelineView merges what paysync saw of a checkout into one list,
// oldest first: its events (callback events are shown as the stored
// callbacks themselves, with their raw bodies) and its webhook deliveries
// with their attempts.
func timelineView(t store.Timeline, done string) checkoutView {
	v := checkoutView{Checkout: t.Checkout, Deliveries: t.Deliveries, Done: done}
	var out []entry
	for _, e := range t.Events {
		if e.Type == store.EventCallbackReceived && len(t.Notifications) > 0 {
			continue // the callback's own row below has the body
		}
		out = append(out, eventEntry(e))
	}
	for _, n := range t.Notifications {
		raw := string(n.Body)
		if n.Query != "" {
			raw = "?" + n.Query + "\n" + raw
		}
		en := entry{At: n.ReceivedAt, Kind: "callback", Title: "Callback received", Source: store.ByCallback,
			Status: n.Status, Detail: n.ContentType, Raw: raw, Repeats: n.Repeats, LastAt: n.LastReceivedAt, Overflow: n.Overflow}
		if n.Overflow {
			en.Title, en.Raw = "Callbacks beyond this checkout's bounds (bodies not kept)", ""
		}
		out = append(out, en)
	}
	for i := range t.Deliveries {
		d := &t.Deliveries[i]
		out = append(out, entry{At: d.CreatedAt, Kind: "webhook", Title: "Webhook", Detail: d.Type, Delivery: d})
		if d.Status == store.DeliveryPending {
			v.Pending = true
		}
	}
	for i := range out {
		out[i].seq = i
	}
	slices.SortStableFunc(out, func(a, b entry) int { return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.seq, b.seq)) })
	v.Entries = out
	v.Purged = len(t.Events) == 0
	return v
}

func eventEntry(e store.Event) entry {
	en := entry{At: e.At, Source: e.Source, Status: e.ProviderStatus, From: e.FromState, To: e.ToState, Detail: e.Detail}
	switch e.Type {
	case store.EventRegistered:
		en.Kind, en.Title = "merchant", "Registered"
	case store.EventCallbackReceived:
		en.Kind, en.Title = "callback", "Callback received"
	case store.EventStatusChecked:
		en.Kind, en.Title = "check", "Status checked"
	case store.EventCheckFailed:
		en.Kind, en.Title = "check", "Status check failed"
	case store.EventStateChanged:
		en.Kind, en.Title = "transition", "State changed"
	case store.EventAnomaly:
		en.Kind, en.Title = "anomaly", "Anomaly raised"
	case store.EventRefreshRequested:
		en.Kind, en.Title = "merchant", "Check requested"
	case store.EventBrowserReturned:
		en.Kind, en.Title = "browser", "Browser returned"
	case store.EventPaymentStarted:
		en.Kind, en.Title = "start", "Payment started at PayUnit"
		en.Outcome, en.Detail = startOutcome(e.Detail)
	default:
		en.Kind, en.Title = "other", e.Type
	}
	return en
}

// startOutcome is how a start (store.EventPaymentStarted; only PayUnit's
// payments can be started) went, from its event's detail: the detail
// without its "payment started at <provider>: " prefix (the entry's title
// says it) and without the outcome word its badge shows, and the outcome
// its first word gives: "started", "refused", or "no answer" for anything
// else (PayUnit may have created the payment).
func startOutcome(detail string) (outcome, rest string) {
	rest = strings.TrimSpace(detail)
	if strings.HasPrefix(strings.ToLower(rest), "payment started at ") {
		if _, after, ok := strings.Cut(rest, ": "); ok {
			rest = strings.TrimSpace(after)
		}
	}
	word, _, _ := strings.Cut(rest, " ")
	switch w := strings.TrimRight(word, ":,;."); w {
	case "started", "refused":
		return w, strings.TrimLeft(rest[len(w):], ":,;. ") // the badge says it
	}
	return "no answer", rest
}

// overviewData is the overview page's data.
type overviewData struct {
	store.Overview
	States []stateCount
	Shares []share
	Total  int
}

type stateCount struct {
	State store.State
	N     int
}

// share is one provider's settled-by split over the window.
type share struct {
	Provider                    string
	Total                       int
	Callback, Poll, Browser     int
	CallbackPc, PollPc, BrowPct int
}

func overviewView(o store.Overview) overviewData {
	v := overviewData{Overview: o}
	for _, s := range allStates {
		v.States = append(v.States, stateCount{State: s, N: o.Counts[s]})
		v.Total += o.Counts[s]
	}
	byProvider := map[string]*share{}
	var order []string
	for _, s := range o.Settled {
		sh := byProvider[s.Provider]
		if sh == nil {
			sh = &share{Provider: s.Provider}
			byProvider[s.Provider] = sh
			order = append(order, s.Provider)
		}
		switch s.ResolvedBy {
		case store.SourceCallback:
			sh.Callback += s.N
		case store.SourcePoll:
			sh.Poll += s.N
		case store.SourceBrowserReturn:
			sh.Browser += s.N
		}
		sh.Total += s.N
	}
	for _, p := range order {
		sh := byProvider[p]
		if sh.Total > 0 {
			sh.CallbackPc, sh.PollPc, sh.BrowPct = sh.Callback*100/sh.Total, sh.Poll*100/sh.Total, sh.Browser*100/sh.Total
		}
		v.Shares = append(v.Shares, *sh)
	}
	return v
}
