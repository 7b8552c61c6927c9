package tokenplug

import (
	"maps"
	"time"

	"golang.org/x/oauth2"
)

// Keys of the oauth2.Token extras that carry the contract's fields that
// oauth2.Token has no field for.
const (
	// ExtraHeader names the request header for the token. Absent or
	// "Authorization": "Authorization: <type> <token>". Any other header
	// carries the access token raw (e.g. Ocp-Apim-Subscription-Key).
	ExtraHeader = "header"
	// ExtraRefreshAt is a time.Time hint for when the host should renew.
	ExtraRefreshAt = "refresh_at"
	// ExtraSettingsUpdate is a map[string]string of settings the provider
	// asks its host to keep and hand back when it configures the instance
	// again (a rotated refresh token, say). See WithSettingsUpdate.
	ExtraSettingsUpdate = "settings_update"
)

// Authorization is the header a token travels in by default.
const Authorization = "Authorization"

// WithHeader returns a copy of tok that is sent in header name instead of
// Authorization, as its raw value.
func WithHeader(tok *oauth2.Token, name string) *oauth2.Token {
	return withExtra(tok, ExtraHeader, name)
}

// WithRefreshAt returns a copy of tok carrying a hint for when the host
// should renew it, for schemes whose documentation says when (Azure: 9 of
// its 10 minutes).
func WithRefreshAt(tok *oauth2.Token, at time.Time) *oauth2.Token {
	return withExtra(tok, ExtraRefreshAt, at)
}

// WithSettingsUpdate returns a copy of tok that asks the host to keep
// settings, replacing the values it configured the provider with, and to
// hand them back whenever it configures the provider again (after a plugin
// restart, say, or on a later CLI call): a rotated refresh token must
// survive what the spent one cannot. Only keys the provider declares are
// kept. The map is copied; nil or empty asks for nothing.
func WithSettingsUpdate(tok *oauth2.Token, settings map[string]string) *oauth2.Token {
	if len(settings) == 0 {
		return tok
	}
	return withExtra(tok, ExtraSettingsUpdate, maps.Clone(settings))
}

// SettingsUpdateOf returns the settings update tok carries, or nil. The
// caller must not modify the map.
func SettingsUpdateOf(tok *oauth2.Token) map[string]string {
	m, _ := tok.Extra(ExtraSettingsUpdate).(map[string]string)
	return m
}

// HeaderOf returns the header tok should be sent in ("" means Authorization).
func HeaderOf(tok *oauth2.Token) string {
	h, _ := tok.Extra(ExtraHeader).(string)
	return h
}

// RefreshAtOf returns tok's refresh hint, or the zero time.
func RefreshAtOf(tok *oauth2.Token) time.Time {
	t, _ := tok.Extra(ExtraRefreshAt).(time.Time)
	return t
}

// RequestHeader returns the header name and value that carry tok, as
// transport and grpccreds send it. With no header extra (or
// "Authorization"), the value is "<type> <token>" with the type's canonical
// case (bearer -> Bearer); any other header carries the access token raw,
// as Azure's Ocp-Apim-Subscription-Key does. The name is returned as the
// provider spelled it; callers canonicalise it for their protocol.
func RequestHeader(tok *oauth2.Token) (name, value string) {
	name = HeaderOf(tok)
	if name == "" || name == Authorization {
		return Authorization, tok.Type() + " " + tok.AccessToken
	}
	return name, tok.AccessToken
}

func withExtra(tok *oauth2.Token, key string, v any) *oauth2.Token {
	extra := map[string]any{key: v}
	if h := HeaderOf(tok); h != "" && key != ExtraHeader {
		extra[ExtraHeader] = h
	}
	if t := RefreshAtOf(tok); !t.IsZero() && key != ExtraRefreshAt {
		extra[ExtraRefreshAt] = t
	}
	if m := SettingsUpdateOf(tok); m != nil && key != ExtraSettingsUpdate {
		extra[ExtraSettingsUpdate] = m
	}
	return tok.WithExtra(extra)
}
