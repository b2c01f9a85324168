package console

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/paysync/paysync/store"
)

// csp is the Content-Security-Policy of every console page: its own
// stylesheet and script only, fetches to its own origin, forms posting to
// itself, no framing, no <base>.
const csp = "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// securityHeaders sets the headers of every console answer.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(e echo.Context) error {
		h := e.Response().Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Frame-Options", "DENY")
		return next(e)
	}
}

// page is what every template gets.
type page struct {
	Lang   string
	Viewer viewer
	CSRF   string
	Demo   bool
	Nav    string // the current section, for the menu
	Data   any
}

// T translates an English text of the console into the page's language.
func (p page) T(s string) string { return translate(p.Lang, s) }

var funcs = template.FuncMap{
	"time": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			return v.UTC().Format("2006-01-02 15:04:05Z")
		case *time.Time:
			if v == nil {
				return "—"
			}
			return v.UTC().Format("2006-01-02 15:04:05Z")
		}
		return ""
	},
	"ms":    func(d time.Duration) int64 { return d.Milliseconds() },
	"state": func(s store.State) string { return string(s) },
	"short": func(s string, n int) string {
		if len(s) <= n {
			return s
		}
		return s[:n] + "…"
	},
}

// parsePages parses each page with the layout.
func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", base, err)
		}
		out[base] = t
	}
	return out, nil
}

// render writes the page name with data, in the visitor's language.
func (c *Console) render(e echo.Context, status int, name string, data any) error {
	v := viewerOf(e)
	p := page{Lang: languageFor(e.Request().Header.Get("Accept-Language")), Viewer: v,
		Demo: c.cfg.Demo != nil, Nav: strings.TrimSuffix(name, ".html"), Data: data}
	if v.Nonce != "" {
		p.CSRF = c.keys.csrfToken("form", v.Nonce)
	}
	var buf bytes.Buffer
	if err := c.pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		c.log.Error("render console page", "page", name, "err", err)
		return e.String(http.StatusInternalServerError, "internal error")
	}
	e.Response().Header().Set("Content-Language", p.Lang)
	return e.HTMLBlob(status, buf.Bytes())
}

// message renders a short page with a heading and a sentence.
func (c *Console) message(e echo.Context, status int, title, body string) error {
	return c.render(e, status, "message.html", map[string]string{"Title": title, "Body": body})
}

func (c *Console) forbidden(e echo.Context) error {
	return c.message(e, http.StatusForbidden, "Refused", "This form has expired or did not come from this console. Go back, reload the page and try again.")
}

func (c *Console) notFound(e echo.Context) error {
	return c.message(e, http.StatusNotFound, "Not found", "There is nothing here, or it is not yours to see.")
}

// fail logs err and shows a page without its details.
func (c *Console) fail(e echo.Context, err error) error {
	switch store.ErrorCode(err) {
	case store.ENOTFOUND:
		return c.notFound(e)
	case store.EINVALID:
		return c.message(e, http.StatusBadRequest, "Not understood", store.ErrorMessage(err))
	case store.ECONFLICT:
		return c.message(e, http.StatusConflict, "Not now", store.ErrorMessage(err))
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return err
	}
	c.log.Error("console", "path", e.Request().URL.Path, "err", err)
	return c.message(e, http.StatusInternalServerError, "Something went wrong", "Please try again in a moment.")
}

// asset handles GET /console/assets/*: the embedded stylesheet and script.
func (c *Console) asset(e echo.Context) error {
	name := path.Clean("assets/" + e.Param("*"))
	b, err := fs.ReadFile(assetFS, name)
	if err != nil {
		return c.notFound(e)
	}
	e.Response().Header().Set("Cache-Control", "public, max-age=300")
	return e.Blob(http.StatusOK, mime.TypeByExtension(path.Ext(name)), b)
}
