package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"sigs.k8s.io/structured-merge-diff/v4/fieldpath"
	"sigs.k8s.io/structured-merge-diff/v4/merge"
	"sigs.k8s.io/structured-merge-diff/v4/typed"
)

const schemaYAML = `types:
- name: obj
  map:
    fields:
    - name: apiVersion
      type: {scalar: string}
    - name: kind
      type: {scalar: string}
    - name: metadata
      type: {namedType: meta}
    - name: spec
      type: {namedType: spec}
- name: meta
  map:
    fields:
    - name: name
      type: {scalar: string}
    - name: namespace
      type: {scalar: string}
    - name: labels
      type: {map: {elementType: {scalar: string}}}
    - name: finalizers
      type: {list: {elementType: {scalar: string}, elementRelationship: associative}}
- name: spec
  map:
    fields:
    - name: replicas
      type: {scalar: numeric}
    - name: selector
      type: {namedType: selector}
    - name: containers
      type: {list: {elementType: {namedType: container}, elementRelationship: associative, keys: [name]}}
- name: selector
  map:
    elementRelationship: atomic
    fields:
    - name: matchLabels
      type: {map: {elementType: {scalar: string}}}
- name: container
  map:
    fields:
    - name: name
      type: {scalar: string}
    - name: image
      type: {scalar: string}
    - name: command
      type: {list: {elementType: {scalar: string}, elementRelationship: atomic}}
    - name: env
      type: {list: {elementType: {namedType: env}, elementRelationship: associative, keys: [name]}}
    - name: ports
      type: {list: {elementType: {namedType: port}, elementRelationship: associative, keys: [containerPort, protocol]}}
- name: env
  map:
    fields:
    - name: name
      type: {scalar: string}
    - name: value
      type: {scalar: string}
- name: port
  map:
    fields:
    - name: containerPort
      type: {scalar: numeric}
    - name: protocol
      type: {scalar: string}
      default: TCP
    - name: name
      type: {scalar: string}
`

type managerJSON struct {
	Manager string          `json:"manager"`
	Applied bool            `json:"applied"`
	Set     json.RawMessage `json:"set"`
}

type request struct {
	Op       string        `json:"op"`
	Live     interface{}   `json:"live"`
	Obj      interface{}   `json:"obj"`
	Managers []managerJSON `json:"managers"`
	Manager  string        `json:"manager"`
	Force    bool          `json:"force"`
}

type conflictJSON struct {
	Manager string `json:"manager"`
	Path    string `json:"path"`
}

type response struct {
	Object    interface{}    `json:"object,omitempty"`
	Managers  []managerJSON  `json:"managers,omitempty"`
	Conflicts []conflictJSON `json:"conflicts,omitempty"`
	Error     string         `json:"error,omitempty"`
}

type sameVersion struct{}

func (sameVersion) Convert(o *typed.TypedValue, v fieldpath.APIVersion) (*typed.TypedValue, error) { return o, nil }
func (sameVersion) IsMissingVersionError(error) bool                                              { return false }

var strip = fieldpath.NewSet(
	fieldpath.MakePathOrDie("apiVersion"),
	fieldpath.MakePathOrDie("kind"),
	fieldpath.MakePathOrDie("metadata"),
	fieldpath.MakePathOrDie("metadata", "name"),
	fieldpath.MakePathOrDie("metadata", "namespace"),
)

func main() {
	parser, err := typed.NewParser(typed.YAMLObject(schemaYAML))
	if err != nil {
		panic(err)
	}
	pt := parser.Type("obj")
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<24)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var req request
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			panic(err)
		}
		out.Encode(handle(pt, req))
	}
}

func handle(pt typed.ParseableType, req request) (res response) {
	defer func() {
		if r := recover(); r != nil {
			res = response{Error: fmt.Sprint(r)}
		}
	}()
	live := req.Live
	if live == nil {
		live = map[string]interface{}{}
	}
	liveTV, err := pt.FromUnstructured(live)
	if err != nil {
		return response{Error: "live: " + err.Error()}
	}
	objTV, err := pt.FromUnstructured(req.Obj)
	if err != nil {
		return response{Error: "obj: " + err.Error()}
	}
	managers := fieldpath.ManagedFields{}
	for _, m := range req.Managers {
		s := fieldpath.NewSet()
		if err := s.FromJSON(strings.NewReader(string(m.Set))); err != nil {
			return response{Error: "set: " + err.Error()}
		}
		managers[m.Manager] = fieldpath.NewVersionedSet(s, "v1", m.Applied)
	}
	u := merge.Updater{Converter: sameVersion{}}
	var newTV *typed.TypedValue
	if req.Op == "apply" {
		newTV, managers, err = u.Apply(liveTV, objTV, "v1", managers, req.Manager, req.Force)
	} else {
		newTV, managers, err = u.Update(liveTV, objTV, "v1", managers, req.Manager)
	}
	if err != nil {
		if cs, ok := err.(merge.Conflicts); ok {
			for _, c := range cs {
				res.Conflicts = append(res.Conflicts, conflictJSON{Manager: c.Manager, Path: c.Path.String()})
			}
			return res
		}
		return response{Error: err.Error()}
	}
	if newTV == nil {
		newTV = liveTV
	}
	res.Object = newTV.AsValue().Unstructured()
	for name, vs := range managers {
		s := vs.Set().Difference(strip)
		if s.Empty() {
			continue
		}
		b, _ := s.ToJSON()
		res.Managers = append(res.Managers, managerJSON{Manager: name, Applied: vs.Applied(), Set: b})
	}
	return res
}
