package plugin

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/internal/wire"
)

func TestParseDescriptionReadsWhatServePrints(t *testing.T) {
	d := stubProvider{}.Describe()
	var out bytes.Buffer
	if err := writeDescription(&out, d); err != nil {
		t.Fatal(err)
	}
	got, err := ParseDescription(out.Bytes())
	if err != nil || !reflect.DeepEqual(got, d) {
		t.Fatalf("ParseDescription = %+v, %v; want %+v", got, err, d)
	}
}

func TestParseDescriptionRefusesWithoutQuotingTheOutput(t *testing.T) {
	const secret = "hunter2-s3cr3t"
	for name, out := range map[string]string{
		"another protocol version": `{"name":"x","protocol_version":2,"version":"` + secret + `"}`,
		"no protocol version":      `{"name":"x","version":"` + secret + `"}`,
		"no name":                  `{"protocol_version":1,"version":"` + secret + `"}`,
		"not JSON":                 "password=" + secret + "\n",
		"more after the JSON":      `{"name":"x","protocol_version":1}` + "\n" + secret,
	} {
		t.Run(name, func(t *testing.T) {
			d, err := ParseDescription([]byte(out))
			if !errors.Is(err, ErrNotDescription) || !reflect.DeepEqual(d, Description{}) {
				t.Fatalf("ParseDescription = %+v, %v; want ErrNotDescription", d, err)
			}
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("error %q quotes the output", err)
			}
		})
	}
}

func TestTheWireSpeaksThisSDKsProtocolVersion(t *testing.T) {
	if wire.ProtocolVersion != ProtocolVersion || wire.Handshake.ProtocolVersion != ProtocolVersion {
		t.Fatalf("internal/wire speaks protocol %d (handshake %d), package plugin says %d",
			wire.ProtocolVersion, wire.Handshake.ProtocolVersion, ProtocolVersion)
	}
}
