package console

import (
	"github.com/paysync/paysync/web"
)

// english names the console's keys that are not English text already
// (states, sources, scenarios); every other key is its own English text.
var english = map[string]string{
	"pending": "pending", "action_required": "action required", "succeeded": "succeeded", "failed": "failed",
	"cancelled": "cancelled", "expired": "expired", "delivered": "delivered", "disabled": "held",
	"callback": "callback", "poll": "poll", "browser_return": "browser return", "poller": "status check",
	"merchant": "merchant", "browser": "browser", "paysync": "paysync",
	"payunit_page":      "PayUnit: you are the buyer, on PayUnit's pay page (pay, fail, cancel, or pay and lose the callback)",
	"payunit_pays":      "PayUnit: the buyer pays (callback arrives)",
	"payunit_pays_lost": "PayUnit: the buyer pays, the callback is lost (the poller finds it)",
	"payunit_fails":     "PayUnit: the payment fails",
	"payunit_cancelled": "PayUnit: the buyer cancels",
	"azotte_3ds":        "Azotte: card payment with a 3-D Secure challenge (approve or decline it)",
}

// french is the console in French, keyed by the English text (or key).
var french = map[string]string{
	"pending": "en attente", "action_required": "action requise", "succeeded": "réussi", "failed": "échoué",
	"cancelled": "annulé", "expired": "expiré", "delivered": "livré", "disabled": "retenu",
	"callback": "callback", "poll": "interrogation", "browser_return": "retour navigateur", "poller": "vérification",
	"merchant": "marchand", "browser": "navigateur", "paysync": "paysync",
	"payunit_page":      "PayUnit : vous êtes l'acheteur sur la page de paiement de PayUnit (payer, échouer, annuler, ou payer et perdre le callback)",
	"payunit_pays":      "PayUnit : l'acheteur paie (le callback arrive)",
	"payunit_pays_lost": "PayUnit : l'acheteur paie, le callback se perd (la vérification le trouve)",
	"payunit_fails":     "PayUnit : le paiement échoue",
	"payunit_cancelled": "PayUnit : l'acheteur annule",
	"azotte_3ds":        "Azotte : paiement par carte avec 3-D Secure (à accepter ou refuser)",

	"Overview": "Vue d'ensemble", "Checkouts": "Paiements", "Deliveries": "Livraisons",
	"Sandbox payment": "Paiement de test", "Operator": "Opérateur", "Sign out": "Se déconnecter",
	"Sign in": "Se connecter", "paysync console": "Console paysync",
	"Sign in with the admin token to see every merchant, or with a merchant API key to see that merchant only.": "Connectez-vous avec le jeton d'administration pour voir tous les marchands, ou avec la clé d'API d'un marchand pour ne voir que celui-ci.",
	"That token is not valid.": "Ce jeton n'est pas valide.",
	"Too many failed sign-ins from here or with this token: try again in a minute.": "Trop de connexions échouées depuis cette adresse ou avec ce jeton : réessayez dans une minute.",
	"Admin token or API key": "Jeton d'administration ou clé d'API",
	"Back to the console":    "Retour à la console",
	"Refused":                "Refusé",
	"This form has expired or did not come from this console. Go back, reload the page and try again.": "Ce formulaire a expiré ou ne vient pas de cette console. Revenez en arrière, rechargez la page et réessayez.",
	"Not found": "Introuvable",
	"This sign-in link was already used: it signs in once. Sign in with the admin token the demo printed.": "Ce lien de connexion a déjà servi : il ne connecte qu'une fois. Connectez-vous avec le jeton d'administration affiché par la démo.",
	"There is nothing here, or it is not yours to see.":                                                    "Il n'y a rien ici, ou ce n'est pas à vous de le voir.",
	"Not understood":                           "Incompris",
	"Not now":                                  "Pas maintenant",
	"Something went wrong":                     "Une erreur est survenue",
	"Please try again in a moment.":            "Merci de réessayer dans un instant.",
	"Give the time as YYYY-MM-DDTHH:MM (UTC).": "Indiquez l'heure sous la forme AAAA-MM-JJTHH:MM (UTC).",
	"Pick one of the listed payments.":         "Choisissez l'un des paiements proposés.",
	"Checkouts by state":                       "Paiements par état",
	"Needs attention":                          "À surveiller",
	"Nothing needs attention.":                 "Rien à signaler.",
	"Anomalies":                                "Anomalies",
	"Expired: polling stopped":                 "Expirés : vérifications arrêtées",
	"Failed and held webhooks":                 "Webhooks en échec ou retenus",
	"Callbacks beyond this checkout's bounds (bodies not kept)": "Callbacks au-delà des limites de ce paiement (corps non conservés)",
	"last": "dernier", "Page": "Page", "Earlier": "Plus anciens", "Later": "Plus récents",
	"Callbacks the database refused to record": "Callbacks que la base a refusé d'enregistrer",
	"Acknowledged, then moved aside so that the callbacks after them were recorded. The poller still checks their checkouts on schedule.": "Acquittés, puis mis de côté pour que les callbacks suivants soient enregistrés. Leurs paiements restent vérifiés comme prévu.",
	"deliveries to look at":                  "livraisons à examiner",
	"Who settled checkouts in the last 24 h": "Qui a conclu les paiements ces dernières 24 h",
	"Provider":                               "Prestataire",
	"Callback":                               "Callback",
	"Poll":                                   "Interrogation",
	"Browser return":                         "Retour navigateur",
	"A high poll share means callbacks are getting lost: paysync found the verdict by asking the provider.": "Une part élevée d'interrogations signifie que des callbacks se perdent : paysync a obtenu le verdict en interrogeant le prestataire.",
	"No checkout settled in the last 24 h.": "Aucun paiement conclu ces dernières 24 h.",
	"Id, reference or provider ref":         "Id, référence ou réf. prestataire",
	"State":                                 "État",
	"Any":                                   "Tous",
	"Anomaly":                               "Anomalie",
	"With an anomaly":                       "Avec une anomalie",
	"Merchant id":                           "Id du marchand",
	"Search":                                "Rechercher",
	"Older":                                 "Plus anciens",
	"No checkout matches.":                  "Aucun paiement ne correspond.",
	"A provider check was asked for.":       "Une vérification auprès du prestataire a été demandée.",
	"The webhook will be sent again.":       "Le webhook va être renvoyé.",
	"Sandbox payment started: watch it move.": "Paiement de test lancé : regardez-le avancer.",
	"settled by":                         "conclu par",
	"Amount":                             "Montant",
	"Reference":                          "Référence",
	"Provider ref":                       "Réf. prestataire",
	"Pay page":                           "Page de paiement",
	"Pay as the buyer on PayUnit's page": "Payer en tant qu'acheteur sur la page de PayUnit",
	"Merchant":                           "Marchand",
	"Created":                            "Créé",
	"Last check":                         "Dernière vérification",
	"Next check":                         "Prochaine vérification",
	"Version":                            "Version",
	"Check now":                          "Vérifier maintenant",
	"Open the 3-D Secure step":           "Ouvrir l'étape 3-D Secure",
	"Timeline":                           "Chronologie",
	"This checkout's history is no longer kept.": "L'historique de ce paiement n'est plus conservé.",
	"Raw body":                       "Corps brut",
	"Redeliver":                      "Renvoyer",
	"Registered":                     "Enregistré",
	"Callback received":              "Callback reçu",
	"Status checked":                 "Statut vérifié",
	"Status check failed":            "Échec de la vérification",
	"State changed":                  "Changement d'état",
	"Anomaly raised":                 "Anomalie signalée",
	"Check requested":                "Vérification demandée",
	"Browser returned":               "Retour du navigateur",
	"Payment started at PayUnit":     "Paiement lancé chez PayUnit",
	"started":                        "lancé",
	"refused":                        "refusé",
	"no answer":                      "sans réponse",
	"Webhook":                        "Webhook",
	"Webhook deliveries":             "Livraisons de webhooks",
	"deliveries will be sent again.": "livraisons vont être renvoyées.",
	"Replay failed deliveries":       "Rejouer les livraisons en échec",
	"Failed since (UTC)":             "En échec depuis (UTC)",
	"Replay":                         "Rejouer",
	"The endpoint of":                "Le point de réception de",
	"answered 410 Gone and is disabled; its deliveries are held.": "a répondu 410 Gone et est désactivé ; ses livraisons sont retenues.",
	"Re-enable the endpoint":      "Réactiver le point de réception",
	"Failed and held":             "En échec ou retenues",
	"No failed or held delivery.": "Aucune livraison en échec ou retenue.",
	"Start a sandbox payment":     "Lancer un paiement de test",
	"The demo's fake PayUnit and Azotte run inside this process. Pick what the payment does, then watch paysync verify it and send the shop's webhook.": "Les faux PayUnit et Azotte de la démo tournent dans ce processus. Choisissez ce que fait le paiement, puis regardez paysync le vérifier et envoyer le webhook de la boutique.",
	"The payment":       "Le paiement",
	"Start the payment": "Lancer le paiement",
}

// translate returns s in lang ("en" or "fr").
func translate(lang, s string) string {
	if lang == "fr" {
		if t, ok := french[s]; ok {
			return t
		}
	}
	if t, ok := english[s]; ok {
		return t
	}
	return s
}

// languageFor picks "en" or "fr" from an Accept-Language header, as the
// buyer pages do (web.Language).
func languageFor(header string) string { return web.Language(header) }
