package emulator_test

import (
	"net"
	"net/http"
	"net/url"
	"testing"

	"github.com/tokenplug/tokenplug/emulator"
)

// started is an emulator from a Start function, seen through what every
// one of them has.
type started struct {
	name  string
	url   string
	close func()
}

func startAll() []started {
	idp := emulator.StartIAM()
	az := emulator.StartAzure()
	vg := emulator.StartVoicegain()
	sym := emulator.StartSymphony()
	gw := emulator.StartAudioGateway(idp)
	return []started{
		{"iam", idp.URL, idp.Close}, {"azure", az.URL, az.Close}, {"voicegain", vg.URL, vg.Close},
		{"symphony", sym.URL, sym.Close}, {"audiogateway", gw.URL, gw.Close},
	}
}

// Every Start function serves on 127.0.0.1 only, answers HTTP there, and
// Close stops it (twice is harmless) without leaking goroutines.
func TestStartServesOnLoopbackAndCloseStops(t *testing.T) {
	for _, s := range startAll() {
		u, err := url.Parse(s.url)
		if err != nil || u.Scheme != "http" || u.Hostname() != "127.0.0.1" || u.Port() == "" || u.Path != "" {
			t.Errorf("%s: URL %q, want http://127.0.0.1:<port>", s.name, s.url)
			continue
		}
		resp, err := http.Get(s.url + "/v1/asr/x")
		if err != nil {
			t.Errorf("%s: %v", s.name, err)
			continue
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("%s: unauthenticated GET got %d, want 401 or 405", s.name, resp.StatusCode)
		}
		s.close()
		s.close()
		if c, err := net.Dial("tcp", u.Host); err == nil {
			c.Close()
			t.Errorf("%s: still accepting connections after Close", s.name)
		}
	}
	http.DefaultClient.CloseIdleConnections()
}

// Close on an emulator from a New function (not serving) does nothing.
func TestCloseWithoutStartIsHarmless(t *testing.T) {
	emulator.NewIAM().Close()
	emulator.NewAzure().Close()
	emulator.NewVoicegain().Close()
	emulator.NewSymphony().Close()
	emulator.NewAudioGateway(nil).Close()
	if u := emulator.NewIAM().URL; u != "" {
		t.Errorf("NewIAM().URL = %q, want empty: it is not serving", u)
	}
}
