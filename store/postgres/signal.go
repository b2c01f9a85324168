package postgres

import (
	"strconv"
	"strings"

	"github.com/paysync/paysync/store"
)

// signalPayload is a Signal as a NOTIFY payload: "c|merchant|checkout|version",
// "due" or "delivery".
func signalPayload(s store.Signal) string {
	switch s.Kind {
	case store.SignalCheckout:
		return "c|" + s.MerchantID + "|" + s.CheckoutID + "|" + strconv.FormatInt(s.Version, 10)
	case store.SignalCheckDue:
		return "due"
	case store.SignalDeliveryDue:
		return "delivery"
	}
	return ""
}

// parseSignal reads a NOTIFY payload; ok is false for one it doesn't know.
func parseSignal(p string) (store.Signal, bool) {
	switch p {
	case "due":
		return store.Signal{Kind: store.SignalCheckDue}, true
	case "delivery":
		return store.Signal{Kind: store.SignalDeliveryDue}, true
	}
	parts := strings.Split(p, "|")
	if len(parts) != 4 || parts[0] != "c" {
		return store.Signal{}, false
	}
	v, err := strconv.ParseInt(parts[3], 10, 64)
	if err != nil {
		return store.Signal{}, false
	}
	return store.Signal{Kind: store.SignalCheckout, MerchantID: parts[1], CheckoutID: parts[2], Version: v}, true
}
