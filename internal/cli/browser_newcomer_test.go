package cli

// The console as a newcomer first sees it, in headless Chromium at a
// 375 px phone and a desktop: the sign-in page, the demo's sandbox form,
// a checkout, the overview and the filtered checkout list are captured at
// both widths (PAYSYNC_TEST_ARTIFACTS); the overview's state cards carry
// their state's colour, no form field overlaps or touches another and
// the filter form's labels line up, the header stays small on a phone,
// the "payment started" line shows once, a used sign-in link says so, a
// merchant gets a 404 page at /console/demo, and no page logs a console
// error (a missing favicon was one on every page).

import (
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

const newcomerPhoneWidth, newcomerPhoneHeight = 375, 812

// consoleErrors collects what the tab logs as errors: console.error
// calls, uncaught exceptions and the browser's own error entries (a
// resource that failed to load).
type consoleErrors struct {
	mu   sync.Mutex
	list []string
}

func (c *consoleErrors) add(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.list = append(c.list, s)
}

// take returns the errors so far and forgets them.
func (c *consoleErrors) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.list
	c.list = nil
	return out
}

func listenConsoleErrors(t *testing.T, b *browser) *consoleErrors {
	t.Helper()
	errs := &consoleErrors{}
	err := chromedp.Listen(b.ctx, func(ev any) {
		switch ev := ev.(type) {
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError {
				errs.add(ev.Entry.Text + " " + ev.Entry.URL)
			}
		case *runtime.EventExceptionThrown:
			errs.add("exception: " + ev.ExceptionDetails.Text)
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				errs.add("console.error")
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return errs
}

// phone sets the 375 px phone viewport.
func (b *browser) phone() {
	b.do("phone viewport", chromedp.EmulateViewport(newcomerPhoneWidth, newcomerPhoneHeight, chromedp.EmulateMobile, chromedp.EmulateTouch))
}

// atBothWidths runs check at the phone width then at the desktop width,
// capturing the page at each, and goes back to the phone.
func (b *browser) atBothWidths(name string, check func(width string)) {
	b.t.Helper()
	b.phone()
	check("phone")
	b.screenshot(name + "-phone")
	b.do("desktop viewport", chromedp.EmulateViewport(desktopWidth, desktopHeight))
	check("desktop")
	b.screenshot(name + "-desktop")
	b.phone()
}

// overlapsJS lists the pairs of visible form controls and labels in the
// form (CSS selector %s) whose boxes, grown by 2 px on each side, meet:
// fields that overlap or touch. A label and the control inside it are no
// pair.
const overlapsJS = `(() => {
  const els = [...document.querySelectorAll("%[1]s input:not([type=hidden]), %[1]s select, %[1]s button, %[1]s textarea, %[1]s label")]
    .filter(e => e.getClientRects().length > 0);
  const name = e => e.id || (e.tagName.toLowerCase() + (e.htmlFor ? "[for=" + e.htmlFor + "]" : "") + ":" + (e.textContent || "").trim().slice(0, 20));
  const bad = [];
  for (let i = 0; i < els.length; i++) for (let j = i + 1; j < els.length; j++) {
    if (els[i].contains(els[j]) || els[j].contains(els[i])) continue;
    const a = els[i].getBoundingClientRect(), b = els[j].getBoundingClientRect();
    if (a.left - 2 < b.right + 2 && b.left - 2 < a.right + 2 && a.top - 2 < b.bottom + 2 && b.top - 2 < a.bottom + 2)
      bad.push(name(els[i]) + " / " + name(els[j]));
  }
  return bad;
})()`

// misalignedJS lists the controls of the filter form that sit in one row
// (their boxes share height) with bottoms more than 1 px apart: the
// labels above them were of different heights, or not above them.
const misalignedJS = `(() => {
  const els = [...document.querySelectorAll("#search input, #search select, #search button")].filter(e => e.getClientRects().length > 0);
  const bad = [];
  for (let i = 0; i < els.length; i++) for (let j = i + 1; j < els.length; j++) {
    const a = els[i].getBoundingClientRect(), b = els[j].getBoundingClientRect();
    if (a.top < b.bottom && b.top < a.bottom && Math.abs(a.bottom - b.bottom) > 1) bad.push(els[i].id + " / " + els[j].id);
  }
  return bad;
})()`

func (b *browser) noOverlaps(form, width string) {
	b.t.Helper()
	if bad := evalJS[[]string](b, strings.ReplaceAll(overlapsJS, "%[1]s", form)); len(bad) > 0 {
		b.t.Errorf("%s at the %s width: fields overlap or touch: %v", form, width, bad)
	}
}

// stateColours are the console's state colours (console.css), as
// getComputedStyle writes them.
var stateColours = map[string]string{
	"pending": "rgb(138, 90, 0)", "action_required": "rgb(74, 58, 168)", "succeeded": "rgb(10, 107, 55)",
	"failed": "rgb(161, 20, 20)", "cancelled": "rgb(161, 20, 20)", "expired": "rgb(91, 98, 112)",
}

func TestConsoleNewcomerPages(t *testing.T) {
	if testing.Short() {
		t.Skip("boots the whole demo")
	}
	t.Parallel()
	b := newBrowser(t)
	errs := listenConsoleErrors(t, b)
	stdout, _ := startDemoForReadme(t)
	banner := stdout.String()
	link := regexp.MustCompile(`http://\S+/console/signin/[0-9a-f]+`).FindString(banner)
	key := regexp.MustCompile(`merchant API key (\S+)`).FindStringSubmatch(banner)
	if link == "" || key == nil {
		t.Fatalf("no sign-in link or API key in the demo's banner:\n%s", banner)
	}
	base := link[:strings.Index(link, "/console/")]

	// Sign-in, before the link is used.
	b.navigate(base + "/console/")
	b.waitVisible("#signin", 10*time.Second)
	b.atBothWidths("signin", func(w string) { b.noOverlaps("#signin form", w) })

	// The link signs in once, onto the sandbox form.
	b.navigate(link)
	b.waitURL("the sandbox form", onPath("/console/demo"))
	b.waitVisible("#demo", 5*time.Second)
	b.atBothWidths("sandbox-form", func(w string) {
		b.noOverlaps("#demo", w)
		if h := evalJS[float64](b, `document.querySelector("header.top").getBoundingClientRect().height`); h > 110 {
			t.Errorf("the header is %.0f px tall at the %s width", h, w)
		}
	})

	// A payment started from the form: its checkout says so once.
	b.click("#scenario-payunit_pays")
	b.click("#start")
	b.waitVisible("#flash", 10*time.Second)
	b.waitVisible(`#state[data-state="succeeded"]`, 30*time.Second)
	b.atBothWidths("checkout", func(string) {})
	b.navigate(b.location())
	b.waitVisible("#timeline", 10*time.Second)
	if b.tryEval(`!!document.querySelector("#flash")`) {
		t.Errorf("the %q line came back on reload", b.text("#flash"))
	}

	// The overview: each state card's stripe is its state's colour.
	b.navigate(base + "/console/overview")
	b.waitVisible("#counts", 10*time.Second)
	b.atBothWidths("overview", func(w string) {
		got := evalJS[map[string]string](b, `Object.fromEntries([...document.querySelectorAll("#counts a.count")].map(a =>
			[a.querySelector("strong").dataset.state, getComputedStyle(a).borderLeftColor]))`)
		for state, want := range stateColours {
			if got[state] != want {
				t.Errorf("at the %s width the %s card's stripe is %q, want %q", w, state, got[state], want)
			}
		}
		// Cards of one row are as tall as each other: no tinted band under a short one.
		if bad := evalJS[[]string](b, `(() => { const as = [...document.querySelectorAll("#counts a.count")]; const bad = [];
			for (const a of as) { const li = a.parentElement.getBoundingClientRect(), r = a.getBoundingClientRect();
			  if (Math.abs(li.height - r.height) > 1) bad.push(a.className) } return bad })()`); len(bad) > 0 {
			t.Errorf("at the %s width cards shorter than their cell: %v", w, bad)
		}
	})

	// The checkout list, filtered.
	b.navigate(base + "/console/checkouts?state=succeeded&provider=payunit")
	b.waitVisible("#results", 10*time.Second)
	b.atBothWidths("checkouts-filtered", func(w string) {
		b.noOverlaps("#search", w)
		if bad := evalJS[[]string](b, misalignedJS); len(bad) > 0 {
			t.Errorf("at the %s width the filter form's fields don't line up: %v", w, bad)
		}
	})
	if e := errs.take(); len(e) > 0 {
		t.Errorf("console errors on the pages: %v", e)
	}

	// The used link says it was used.
	b.navigate(link)
	b.waitVisible("#problem", 10*time.Second)
	if got := b.text("#problem"); !strings.Contains(got, "already used") {
		t.Errorf("the used sign-in link shows %q", got)
	}

	// A merchant has no sandbox form: no link to it, and a 404 page at its URL.
	b.navigate(base + "/console/overview") // still signed in as the operator
	b.click("#signout")
	b.waitVisible("#signin", 10*time.Second)
	b.signIn(base, key[1])
	if b.tryEval(`!!document.querySelector("#nav-demo")`) {
		t.Error("a merchant's navigation links the sandbox form")
	}
	b.navigate(base + "/console/demo")
	b.waitVisible("#message", 10*time.Second)
	if b.tryEval(`!!document.querySelector("#demo")`) || !strings.Contains(b.text("#message h1"), "Not found") {
		t.Errorf("a merchant at /console/demo sees %q", b.text("#message"))
	}
}
