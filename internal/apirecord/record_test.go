package apirecord

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	pb "github.com/tokenplug/tokenplug/plugin/proto"
)

var update = flag.Bool("update", false, "rewrite api/*.txt from the code (a deliberate API change)")

const module = "github.com/tokenplug/tokenplug"

func root(t *testing.T) string {
	t.Helper()
	r, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// recordFile names a package's record: api/tokenplug.txt for the root,
// api/host.hostconfig.txt for host/hostconfig.
func recordFile(root, rel string) string {
	name := "tokenplug"
	if rel != "." {
		name = strings.ReplaceAll(rel, "/", ".")
	}
	return filepath.Join(root, "api", name+".txt")
}

// Every public package's exported API equals its record in api/. A
// deliberate change updates the record in the same commit:
//
//	go test ./internal/apirecord -update
func TestPublicAPIMatchesTheRecord(t *testing.T) {
	r := root(t)
	dirs, err := Public(r)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, rel := range dirs {
		path := module
		if rel != "." {
			path += "/" + rel
		}
		lines, err := Package(filepath.Join(r, rel), path)
		if err != nil {
			t.Fatal(err)
		}
		file := recordFile(r, rel)
		want[file] = true
		compare(t, file, lines)
	}
	recorded, _ := filepath.Glob(filepath.Join(r, "api", "*.txt"))
	for _, f := range recorded {
		if !want[f] && filepath.Base(f) != "proto.txt" {
			if *update {
				_ = os.Remove(f)
				continue
			}
			t.Errorf("%s records a package that no longer exists: remove it with -update if that is deliberate", f)
		}
	}
}

// The plugin protocol's fields are only ever added (DESIGN.md, the .proto's
// header): a field removed, renumbered or retyped breaks every plugin
// built before it. Added fields update the record.
func TestProtocolFieldsAreNeverRemovedOrRenumbered(t *testing.T) {
	file := filepath.Join(root(t), "api", "proto.txt")
	got := protoLines(pb.File_provider_proto)
	if *update {
		compare(t, file, got)
		return
	}
	old, err := readLines(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range old {
		if !slices.Contains(got, l) {
			t.Errorf("protocol: %q was removed, renumbered or retyped: add a new field instead", l)
		}
	}
	for _, l := range got {
		if !slices.Contains(old, l) {
			t.Errorf("protocol: %q is new: record it with go test ./internal/apirecord -update", l)
		}
	}
}

func protoLines(fd protoreflect.FileDescriptor) []string {
	var lines []string
	var walk func(prefix string, ms protoreflect.MessageDescriptors)
	walk = func(prefix string, ms protoreflect.MessageDescriptors) {
		for i := range ms.Len() {
			m := ms.Get(i)
			name := prefix + string(m.Name())
			lines = append(lines, "message "+name)
			for j := range m.Fields().Len() {
				f := m.Fields().Get(j)
				typ := f.Kind().String()
				switch {
				case f.IsMap():
					typ = "map<" + f.MapKey().Kind().String() + "," + f.MapValue().Kind().String() + ">"
				case f.Message() != nil:
					typ = string(f.Message().FullName())
				case f.Enum() != nil:
					typ = string(f.Enum().FullName())
				}
				if f.Cardinality() == protoreflect.Repeated && !f.IsMap() {
					typ = "repeated " + typ
				}
				lines = append(lines, "field "+name+"."+string(f.Name())+" = "+strconv.Itoa(int(f.Number()))+" "+typ)
			}
			walk(name+".", m.Messages())
		}
	}
	walk("", fd.Messages())
	for i := range fd.Services().Len() {
		s := fd.Services().Get(i)
		for j := range s.Methods().Len() {
			m := s.Methods().Get(j)
			lines = append(lines, "rpc "+string(s.Name())+"."+string(m.Name())+"("+string(m.Input().FullName())+") "+string(m.Output().FullName()))
		}
	}
	slices.Sort(lines)
	return lines
}

func readLines(file string) ([]string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n"), nil
}

// compare fails with a diff when file does not hold exactly lines, or
// rewrites it under -update.
func compare(t *testing.T, file string, lines []string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	old, err := readLines(file)
	if err != nil {
		t.Errorf("no API record %s: write it with go test ./internal/apirecord -update", filepath.Base(file))
		return
	}
	var diff []string
	for _, l := range old {
		if !slices.Contains(lines, l) {
			diff = append(diff, "- "+l)
		}
	}
	for _, l := range lines {
		if !slices.Contains(old, l) {
			diff = append(diff, "+ "+l)
		}
	}
	if len(diff) > 0 {
		t.Errorf("the API differs from %s (if deliberate: go test ./internal/apirecord -update, and commit the record):\n%s",
			filepath.Base(file), strings.Join(diff, "\n"))
	}
}
