// Package nodepurity is the analysis behind cmd/dsimvet: it enforces dsim's
// one rule on node code.
//
// A dsim node is a deterministic state machine. The simulator replays a run
// byte for byte from its seed only if every handler's effect depends on
// nothing but the node's state, the event it is handling and what Env gives
// it. So, in the methods of every type that implements sim.Node, and in the
// functions and methods of the same package that they call (or pass on as
// values), the analysis reports:
//
//   - the wall clock and real timers (time.Now, Since, Sleep, After,
//     NewTimer, ...): use env.Now() and env.SetTimer;
//   - goroutines, select and channel operations: a handler runs to the end
//     before anything else happens; to do something later, set a timer;
//   - locks and atomics (package sync, sync/atomic): a node never runs two
//     handlers at once, and a lock that blocks would stop the whole world;
//   - the global random streams of math/rand and math/rand/v2, and
//     crypto/rand: use env.Rand(), seeded from the world's seed;
//   - file, process and network I/O (os, net, net/http, os/exec): use
//     env.Disk() and env.Send;
//   - ranging over a map where the iteration order escapes: a Send,
//     SetTimer or Logf in the loop, a return or break that picks "the first"
//     key, or an append to a slice that is not sorted afterwards. Go
//     randomises map order on purpose; sort the keys first.
//
// Code outside node types (a runtime, a scenario's script) is not node code
// and is not checked; neither are _test.go files, whose nodes are probes that
// may report to the test through a channel.
package nodepurity

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"sort"
	"strings"

	"golang.org/x/tools/go/analysis"
)

// SimPath is the import path of the package that defines sim.Node.
const SimPath = "github.com/dsimlab/dsim/sim"

// Analyzer reports code reachable from sim.Node methods that would make a
// run differ from its replay.
var Analyzer = &analysis.Analyzer{
	Name: "dsimvet",
	Doc: `check that dsim node code is deterministic

Reports, in the methods of types implementing sim.Node and the same-package
functions they reach, wall-clock reads, goroutines, select and channels,
locks, global randomness, file and network I/O, and map ranges whose order
escapes. Each finding says why it breaks replay and what to use instead.`,
	Run: run,
}

func run(pass *analysis.Pass) (any, error) {
	if pass.Pkg.Path() == SimPath {
		return nil, nil
	}
	node := simNode(pass.Pkg)
	if node == nil {
		return nil, nil
	}
	decls := map[*types.Func]*ast.FuncDecl{}
	for _, f := range pass.Files {
		if strings.HasSuffix(pass.Fset.File(f.Pos()).Name(), "_test.go") {
			continue // a test's fixtures and probes are not node code
		}
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Body != nil {
				if fn, ok := pass.TypesInfo.Defs[fd.Name].(*types.Func); ok {
					decls[fn] = fd
				}
			}
		}
	}

	// Roots: every method of every type whose value or pointer is a sim.Node.
	reach := map[*types.Func]string{} // function -> the node method it is reached from
	var queue []*types.Func
	var roots []*types.Func
	for fn := range decls {
		recv := fn.Signature().Recv()
		if recv == nil {
			continue
		}
		if isNodeType(recv.Type(), node) {
			roots = append(roots, fn)
		}
	}
	sort.Slice(roots, func(i, j int) bool { return roots[i].Pos() < roots[j].Pos() })
	for _, fn := range roots {
		reach[fn] = methodName(fn)
		queue = append(queue, fn)
	}
	for len(queue) > 0 {
		fn := queue[0]
		queue = queue[1:]
		ast.Inspect(decls[fn].Body, func(n ast.Node) bool {
			id, ok := n.(*ast.Ident)
			if !ok {
				return true
			}
			callee, ok := pass.TypesInfo.Uses[id].(*types.Func)
			if !ok {
				return true
			}
			callee = callee.Origin()
			if _, seen := reach[callee]; seen || decls[callee] == nil {
				return true
			}
			reach[callee] = reach[fn]
			queue = append(queue, callee)
			return true
		})
	}

	fns := make([]*types.Func, 0, len(reach))
	for fn := range reach {
		fns = append(fns, fn)
	}
	sort.Slice(fns, func(i, j int) bool { return fns[i].Pos() < fns[j].Pos() })
	c := &checker{pass: pass, reported: map[token.Pos]bool{}}
	for _, fn := range fns {
		where := reach[fn]
		if m := methodName(fn); m != where {
			where = fmt.Sprintf("%s (reached from %s)", m, where)
		}
		c.where = where
		c.body(decls[fn].Body)
	}
	return nil, nil
}

// simNode finds the sim.Node interface among pkg's imports.
func simNode(pkg *types.Package) *types.Interface {
	for _, imp := range pkg.Imports() {
		if imp.Path() != SimPath {
			continue
		}
		obj, ok := imp.Scope().Lookup("Node").(*types.TypeName)
		if !ok {
			return nil
		}
		iface, _ := obj.Type().Underlying().(*types.Interface)
		return iface
	}
	return nil
}

func isNodeType(t types.Type, node *types.Interface) bool {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	named, ok := t.(*types.Named)
	if !ok {
		return false
	}
	if _, isIface := named.Underlying().(*types.Interface); isIface {
		return false
	}
	return types.Implements(named, node) || types.Implements(types.NewPointer(named), node)
}

func methodName(fn *types.Func) string {
	recv := fn.Signature().Recv()
	if recv == nil {
		return fn.Name()
	}
	t := recv.Type()
	star := ""
	if p, ok := t.(*types.Pointer); ok {
		t, star = p.Elem(), "*"
	}
	name := t.String()
	if named, ok := t.(*types.Named); ok {
		name = named.Obj().Name()
	}
	return fmt.Sprintf("(%s%s).%s", star, name, fn.Name())
}

type checker struct {
	pass     *analysis.Pass
	where    string
	reported map[token.Pos]bool
}

func (c *checker) report(pos token.Pos, format string, args ...any) {
	if c.reported[pos] {
		return
	}
	c.reported[pos] = true
	c.pass.Reportf(pos, "%s: %s", c.where, fmt.Sprintf(format, args...))
}

func (c *checker) body(body *ast.BlockStmt) {
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			c.report(n.Pos(), "starts a goroutine, which runs outside the world's single event loop, so replay cannot order it; do the work in the handler, or later with env.SetTimer")
		case *ast.SelectStmt:
			c.report(n.Pos(), "select waits on channels, whose readiness the world does not control; a node receives events only through Receive (use env.SetTimer to wait)")
		case *ast.SendStmt:
			c.report(n.Pos(), "sends on a channel, outside what the world schedules and replays; send a message with env.Send")
		case *ast.UnaryExpr:
			if n.Op == token.ARROW {
				c.report(n.Pos(), "receives from a channel, outside what the world schedules and replays; a node receives only through Receive")
			}
		case *ast.CallExpr:
			c.call(n)
		case *ast.RangeStmt:
			c.rangeStmt(n, body)
		}
		return true
	})
}

// calleeFunc resolves a call to the function or method it calls, if static.
func calleeFunc(info *types.Info, call *ast.CallExpr) *types.Func {
	var id *ast.Ident
	switch f := ast.Unparen(call.Fun).(type) {
	case *ast.Ident:
		id = f
	case *ast.SelectorExpr:
		id = f.Sel
	case *ast.IndexExpr: // generic instantiation f[T](...)
		switch g := f.X.(type) {
		case *ast.Ident:
			id = g
		case *ast.SelectorExpr:
			id = g.Sel
		}
	}
	if id == nil {
		return nil
	}
	fn, _ := info.Uses[id].(*types.Func)
	return fn
}

var wallClock = map[string]bool{
	"Now": true, "Since": true, "Until": true, "Sleep": true, "After": true,
	"AfterFunc": true, "NewTimer": true, "NewTicker": true, "Tick": true,
}

// randConstructors build a private, seedable stream: deterministic when
// seeded from env.Rand().
var randConstructors = map[string]bool{
	"New": true, "NewSource": true, "NewPCG": true, "NewChaCha8": true, "NewZipf": true,
}

var ioPackages = map[string]bool{
	"os": true, "net": true, "net/http": true, "os/exec": true, "io/ioutil": true, "syscall": true,
}

func (c *checker) call(call *ast.CallExpr) {
	fn := calleeFunc(c.pass.TypesInfo, call)
	if fn == nil || fn.Pkg() == nil {
		return
	}
	path := fn.Pkg().Path()
	recv := fn.Signature().Recv()
	switch {
	case path == "time" && recv == nil && wallClock[fn.Name()]:
		c.report(call.Pos(), "time.%s reads the wall clock or starts a real timer, so a replay sees other times; use env.Now() for the node's clock and env.SetTimer to wait", fn.Name())
	case (path == "math/rand" || path == "math/rand/v2") && recv == nil && !randConstructors[fn.Name()]:
		c.report(call.Pos(), "rand.%s draws from the process-wide random stream, which the world's seed does not control; use env.Rand()", fn.Name())
	case path == "crypto/rand":
		c.report(call.Pos(), "crypto/rand.%s is unpredictable by design, so no replay can repeat it; use env.Rand() (or derive keys from the node's ID and the seed)", fn.Name())
	case path == "sync" || path == "sync/atomic":
		c.report(call.Pos(), "%s.%s: a node never runs two handlers at once, so it needs no locks or atomics, and a lock that blocks would stop the whole world; keep state in the node and drop the synchronisation", fn.Pkg().Name(), fn.Name())
	case ioPackages[path]:
		c.report(call.Pos(), "%s.%s does file, process or network I/O that the simulator neither controls nor replays; use env.Disk() for durable state and env.Send for messages", fn.Pkg().Name(), fn.Name())
	}
}

// rangeStmt reports a range over a map whose iteration order escapes the
// loop. fnBody is the enclosing function's body, searched for a sort of
// an appended slice after the loop.
func (c *checker) rangeStmt(rs *ast.RangeStmt, fnBody *ast.BlockStmt) {
	t := c.pass.TypesInfo.TypeOf(rs.X)
	if t == nil {
		return
	}
	if _, ok := t.Underlying().(*types.Map); !ok {
		return
	}
	info := c.pass.TypesInfo
	loopVars := map[types.Object]bool{}
	for _, e := range []ast.Expr{rs.Key, rs.Value} {
		if obj := objectOf(info, e); obj != nil {
			loopVars[obj] = true
		}
	}
	var why string
	inspect := func(n ast.Node, loops int) bool {
		if why != "" {
			return false
		}
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.ReturnStmt:
			// Returning a constant (found one: return false) does not depend
			// on which entry came first; returning the key or value does.
			for _, r := range n.Results {
				if usesAny(info, r, loopVars) {
					why = "returns from inside the loop, so which key it returns depends on map order"
				}
			}
		case *ast.BranchStmt:
			if n.Tok == token.BREAK && n.Label == nil && loops == 0 && keepsLoopVar(info, rs, loopVars) {
				why = "breaks out of the loop after keeping a key or value, so which one it kept depends on map order"
			}
		case *ast.CallExpr:
			if fn := calleeFunc(info, n); fn != nil && isEnvMethod(fn) {
				why = fmt.Sprintf("calls env.%s inside the loop, so the order of what it %s follows map order", fn.Name(), map[string]string{"Send": "sends", "SetTimer": "schedules", "Logf": "logs", "CancelTimer": "cancels"}[fn.Name()])
			}
		case *ast.AssignStmt:
			for i, rhs := range n.Rhs {
				call, ok := rhs.(*ast.CallExpr)
				if !ok || i >= len(n.Lhs) {
					continue
				}
				if b, ok := info.Uses[identOf(call.Fun)].(*types.Builtin); !ok || b.Name() != "append" {
					continue
				}
				obj := objectOf(info, n.Lhs[i])
				if obj == nil || (obj.Pos() >= rs.Pos() && obj.Pos() < rs.End()) {
					continue // a slice local to the loop body
				}
				if !sortedAfter(info, fnBody, obj, rs.End()) {
					why = fmt.Sprintf("appends to %s in map order and never sorts it afterwards", obj.Name())
				}
			}
		}
		return true
	}
	var walk func(n ast.Node, loops int)
	walk = func(n ast.Node, loops int) {
		ast.Inspect(n, func(m ast.Node) bool {
			if m == n {
				return true
			}
			switch m := m.(type) {
			case *ast.ForStmt, *ast.RangeStmt, *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt:
				if !inspect(m, loops) {
					return false
				}
				walk(m, loops+1)
				return false
			}
			return inspect(m, loops)
		})
	}
	walk(rs.Body, 0)
	if why != "" {
		c.report(rs.Pos(), "ranges over a map and %s; Go randomises map order, so a replay can differ: collect the keys, sort them, then loop", why)
	}
}

func isEnvMethod(fn *types.Func) bool {
	recv := fn.Signature().Recv()
	if recv == nil || fn.Pkg() == nil || fn.Pkg().Path() != SimPath {
		return false
	}
	switch fn.Name() {
	case "Send", "SetTimer", "Logf", "CancelTimer":
		return true
	}
	return false
}

func identOf(e ast.Expr) *ast.Ident {
	id, _ := ast.Unparen(e).(*ast.Ident)
	return id
}

func objectOf(info *types.Info, e ast.Expr) types.Object {
	switch e := ast.Unparen(e).(type) {
	case *ast.Ident:
		return info.ObjectOf(e)
	case *ast.SelectorExpr:
		return info.ObjectOf(e.Sel)
	}
	return nil
}

// sortedAfter reports whether body sorts obj's slice somewhere after pos:
// sort.Strings(s), sort.Slice(s, ...), slices.Sort(s), slices.SortFunc(s, ...).
func sortedAfter(info *types.Info, body *ast.BlockStmt, obj types.Object, pos token.Pos) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if found || !ok || call.Pos() < pos || len(call.Args) == 0 {
			return !found
		}
		fn := calleeFunc(info, call)
		if fn == nil || fn.Pkg() == nil {
			return true
		}
		if p := fn.Pkg().Path(); p != "sort" && p != "slices" {
			return true
		}
		arg := call.Args[0]
		if conv, ok := arg.(*ast.CallExpr); ok && len(conv.Args) == 1 { // sort.Sort(sort.StringSlice(s))
			arg = conv.Args[0]
		}
		if objectOf(info, arg) == obj {
			found = true
		}
		return true
	})
	return found
}

// usesAny reports whether e mentions one of vars.
func usesAny(info *types.Info, e ast.Node, vars map[types.Object]bool) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && vars[info.ObjectOf(id)] {
			found = true
		}
		return !found
	})
	return found
}

// keepsLoopVar reports whether the loop body assigns something computed
// from the key or value to a variable declared outside the loop.
func keepsLoopVar(info *types.Info, rs *ast.RangeStmt, vars map[types.Object]bool) bool {
	kept := false
	ast.Inspect(rs.Body, func(n ast.Node) bool {
		as, ok := n.(*ast.AssignStmt)
		if !ok || kept {
			return !kept
		}
		for i, lhs := range as.Lhs {
			obj := objectOf(info, lhs)
			if obj == nil || (obj.Pos() >= rs.Pos() && obj.Pos() < rs.End()) {
				continue
			}
			rhs := as.Rhs[min(i, len(as.Rhs)-1)]
			if usesAny(info, rhs, vars) {
				kept = true
			}
		}
		return !kept
	})
	return kept
}
