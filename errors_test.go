package tokenplug_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tokenplug/tokenplug"
)

func TestErrorNamesProviderAndKindOnlyWhenItHasAProvider(t *testing.T) {
	cause := errors.New("upstream said 400")
	if got := tokenplug.Permanent(cause).Error(); got != "upstream said 400" {
		t.Errorf("unnamed: %q, want the cause's text", got)
	}
	named := &tokenplug.Error{Provider: "watson", Kind: tokenplug.KindPermanent, Err: tokenplug.Permanent(cause)}
	if got, want := named.Error(), `tokenplug: provider "watson": permanent error: upstream said 400`; got != want {
		t.Errorf("named: %q, want %q", got, want)
	}
	if !errors.Is(named, tokenplug.ErrPermanent) || !errors.Is(named, cause) || errors.Is(named, tokenplug.ErrTemporary) {
		t.Error("errors.Is does not reach the kind and the cause")
	}
}

func TestClassificationHelpers(t *testing.T) {
	rl := fmt.Errorf("wrapped: %w", tokenplug.RateLimited(errors.New("429"), 3*time.Second))
	if tokenplug.KindOf(rl) != tokenplug.KindRateLimited || tokenplug.RetryAfterOf(rl) != 3*time.Second {
		t.Errorf("KindOf/RetryAfterOf = %v/%v", tokenplug.KindOf(rl), tokenplug.RetryAfterOf(rl))
	}
	if tokenplug.KindOf(errors.New("x")) != tokenplug.KindTemporary || tokenplug.KindOf(nil) != tokenplug.KindTemporary {
		t.Error("an unclassified error is not temporary")
	}
	if tokenplug.KindOf(configLike{}) != tokenplug.KindConfig {
		t.Error("an error matching ErrConfig is not KindConfig")
	}
}

// configLike stands for the SDK's setting errors, which match ErrConfig.
type configLike struct{}

func (configLike) Error() string        { return "setting \"x\": required" }
func (configLike) Is(target error) bool { return target == tokenplug.ErrConfig }

func TestProviderOfFindsTheNamingWrapper(t *testing.T) {
	inner := tokenplug.Temporary(context.DeadlineExceeded)
	if p := tokenplug.ProviderOf(inner); p != "" {
		t.Errorf("ProviderOf(unnamed) = %q", p)
	}
	named := fmt.Errorf("ctx: %w", &tokenplug.Error{Provider: "hal", Err: inner})
	if p := tokenplug.ProviderOf(named); p != "hal" {
		t.Errorf("ProviderOf = %q, want hal", p)
	}
	if p := tokenplug.ProviderOf(nil); p != "" {
		t.Errorf("ProviderOf(nil) = %q", p)
	}
}
