package web

import (
	"strconv"
	"strings"
)

// messages are a page's words in one language.
type messages struct {
	Lang          string
	Title         string
	Checking      string
	CheckingBody  string
	CheckAgain    string
	ActionPending string
	ActionLink    string
	Succeeded     string
	SucceededBody string
	Failed        string
	FailedBody    string
	Cancelled     string
	CancelledBody string
	Expired       string
	ExpiredBody   string
	NotFound      string
	NotFoundBody  string
	Error         string
	ErrorBody     string
	NoStep        string
	NoStepBody    string
	TooLarge      string
	TooLargeBody  string
}

var english = messages{
	Lang:          "en",
	Title:         "Payment",
	Checking:      "Confirming your payment…",
	CheckingBody:  "We are checking the result with the payment provider. This page updates by itself; please keep it open.",
	CheckAgain:    "Check again",
	ActionPending: "Your bank may still be waiting for your confirmation.",
	ActionLink:    "Go back to your bank's verification",
	Succeeded:     "Payment confirmed",
	SucceededBody: "Your payment was received. You can close this page.",
	Failed:        "Payment failed",
	FailedBody:    "The payment did not go through. You can go back to the shop and try again.",
	Cancelled:     "Payment cancelled",
	CancelledBody: "The payment was cancelled. You can go back to the shop and try again.",
	Expired:       "Payment not confirmed yet",
	ExpiredBody:   "We could not confirm your payment yet. The shop will let you know once it is settled; please don't pay twice.",
	NotFound:      "Page not found",
	NotFoundBody:  "This payment link is not valid. Please go back to the shop.",
	Error:         "Something went wrong",
	ErrorBody:     "Please try again in a moment.",
	NoStep:        "The verification step could not be opened",
	NoStepBody:    "The payment provider did not say where to continue. Please go back to the shop and try again.",
	TooLarge:      "Request too large",
	TooLargeBody:  "Please go back to the shop.",
}

var french = messages{
	Lang:          "fr",
	Title:         "Paiement",
	Checking:      "Confirmation de votre paiement…",
	CheckingBody:  "Nous vérifions le résultat auprès du prestataire de paiement. Cette page se met à jour toute seule ; merci de la laisser ouverte.",
	CheckAgain:    "Vérifier à nouveau",
	ActionPending: "Votre banque attend peut-être encore votre confirmation.",
	ActionLink:    "Revenir à la vérification de votre banque",
	Succeeded:     "Paiement confirmé",
	SucceededBody: "Votre paiement a bien été reçu. Vous pouvez fermer cette page.",
	Failed:        "Échec du paiement",
	FailedBody:    "Le paiement n'a pas abouti. Vous pouvez revenir à la boutique et réessayer.",
	Cancelled:     "Paiement annulé",
	CancelledBody: "Le paiement a été annulé. Vous pouvez revenir à la boutique et réessayer.",
	Expired:       "Paiement pas encore confirmé",
	ExpiredBody:   "Nous n'avons pas encore pu confirmer votre paiement. La boutique vous informera dès qu'il sera réglé ; merci de ne pas payer deux fois.",
	NotFound:      "Page introuvable",
	NotFoundBody:  "Ce lien de paiement n'est pas valide. Merci de revenir à la boutique.",
	Error:         "Une erreur est survenue",
	ErrorBody:     "Merci de réessayer dans un instant.",
	NoStep:        "L'étape de vérification n'a pas pu s'ouvrir",
	NoStepBody:    "Le prestataire de paiement n'a pas indiqué où continuer. Merci de revenir à la boutique et de réessayer.",
	TooLarge:      "Requête trop volumineuse",
	TooLargeBody:  "Merci de revenir à la boutique.",
}

// Language picks "en" or "fr" from an Accept-Language header: the
// supported language with the highest q-value wins, the earlier one on a
// tie; "en" when neither is acceptable or the header is absent. The buyer
// pages and the operator console both speak by it.
func Language(header string) string {
	best, bestQ := "en", 0.0
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(p), "q="); ok {
				if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 && f <= 1 {
					q = f
				} else {
					q = 0
				}
			}
		}
		primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if (primary == "en" || primary == "fr") && q > bestQ {
			best, bestQ = primary, q
		}
	}
	return best
}

// languageFor is the buyer pages' messages for an Accept-Language header.
func languageFor(header string) messages {
	if Language(header) == "fr" {
		return french
	}
	return english
}
