package handlers

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

// openapiYAML is the OpenAPI 3.1 description of the routes in this package.
//
//go:embed openapi.yaml
var openapiYAML []byte

// openapi handles GET /openapi.yaml.
func (s *server) openapi(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/yaml", openapiYAML)
}
