// Package nilcheck tells whether a value handed to a constructor is nil,
// including a nil pointer inside a non-nil interface (such as the
// *host.Source that Registry.Source returns with its error), which would
// panic on first use. transport and grpccreds share it; the root package
// tokenplug keeps its own copy because it imports nothing else from this
// module.
package nilcheck

import "reflect"

// Is reports whether v is nil or holds a nil pointer, map, func, slice,
// channel or interface.
func Is(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Func, reflect.Interface, reflect.Slice, reflect.Chan:
		return rv.IsNil()
	}
	return false
}
