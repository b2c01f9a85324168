package web

import (
	"io/fs"
	"mime"
	"net/http"
	"path"

	"github.com/labstack/echo/v4"
)

// asset handles GET /pay/assets/*: the embedded stylesheet and script.
// They are public and versionless, so they may be cached for a short while.
func (p *Pages) asset(c echo.Context) error {
	name := path.Clean("assets/" + c.Param("*"))
	b, err := fs.ReadFile(assetFS, name)
	if err != nil {
		return p.notFound(c)
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "public, max-age=300")
	return c.Blob(http.StatusOK, mime.TypeByExtension(path.Ext(name)), b)
}

// Favicon handles GET /favicon.ico: paysync's icon (SVG, which browsers
// take under that name too), so no page of paysync logs a 404 for it.
func Favicon(c echo.Context) error {
	b, err := fs.ReadFile(assetFS, "assets/favicon.svg")
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=86400")
	c.Response().Header().Set("X-Content-Type-Options", "nosniff")
	return c.Blob(http.StatusOK, "image/svg+xml", b)
}
