//! From a [`ModelDefinition`] to a [`Checked`] model: every name defined once and allowed,
//! every expression typed and dimensionally consistent, parameters and initial values
//! evaluated in canonical units.

use super::ast::{AssignOp, EquationLine, Expr, LineKind, Statement};
use super::definition::{InputPort, ModelDefinition};
use super::error::{EquationError, Loc, Sources};
use super::names::{model_name_reason, reserved_reason};
use super::parser::{parse_equations, parse_expression, parse_quantity, parse_statements};
use super::term::{Arith, Term, TermKind};
use super::typing::{Scope, Symbol, Typer};
use super::units::{Dim, UnitContext};

/// A parameter with its value in canonical units.
#[derive(Clone, Debug)]
pub(crate) struct Param {
    pub name: String,
    pub dim: Dim,
    pub value: f64,
}

/// How a state variable evolves between spikes.
#[derive(Clone, Debug)]
pub(crate) enum StateKind {
    /// `dx/dt = rhs`.
    Differential(Term),
    /// `x : unit`: only statements and inputs change it.
    Declared,
}

/// A state variable.
#[derive(Clone, Debug)]
pub(crate) struct StateVar {
    pub name: String,
    pub dim: Dim,
    pub kind: StateKind,
    /// Held at its value while the neuron is refractory.
    pub unless_refractory: bool,
    /// Initial value in canonical units.
    pub initial: f64,
}

/// `target = value` (compound assignments are expanded: `w += b` is `w = w + b`).
#[derive(Clone, Debug)]
pub(crate) struct Assignment {
    pub target: usize,
    pub value: Term,
}

/// The refractory mechanism.
#[derive(Clone, Debug)]
pub(crate) enum Refractory {
    /// A duration (ms) after each spike.
    Duration(Term),
    /// Refractory after a spike while the condition holds.
    Condition(Term),
}

/// What a port's input is added to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum InputTarget {
    State(usize),
    Param(usize),
}

/// One input route: the port's value is added (or subtracted) to the target.
#[derive(Clone, Copy, Debug)]
pub(crate) struct InputRoute {
    pub port: InputPort,
    pub target: InputTarget,
    pub subtract: bool,
}

/// A model whose every expression has been checked.
pub(crate) struct Checked {
    pub sources: Sources,
    pub name: String,
    pub params: Vec<Param>,
    pub states: Vec<StateVar>,
    /// Subexpressions (name, term), expanded where used.
    pub subs: Vec<(String, Term)>,
    pub threshold: Option<Term>,
    pub reset: Vec<Assignment>,
    pub update: Vec<Assignment>,
    pub refractory: Option<Refractory>,
    pub inputs: Vec<InputRoute>,
    /// Noise symbols; noise `k` draws at random site `first_noise_site + k`.
    pub noises: Vec<String>,
    /// `rand()`/`randn()` call sites of the definition, before the noise sites.
    pub first_noise_site: u32,
}

type Checking<T> = Result<T, EquationError>;

/// Checks a definition.
pub(crate) fn check(def: &ModelDefinition) -> Checking<Checked> {
    let mut sources = Sources::new(&def.name);
    if let Some(reason) = model_name_reason(&def.name) {
        return Err(sources.field_error("name", reason));
    }
    let params = check_params(&mut sources, def)?;
    let eq_src = sources.add("equations", &def.equations);
    let lines = parse_equations(&sources, eq_src)?;
    if !lines
        .iter()
        .any(|l| !matches!(l.kind, LineKind::Subexpression(_)))
    {
        return Err(sources.field_error(
            "equations",
            "no state variable: write at least one line `dv/dt = ... : unit`",
        ));
    }
    register_texts(&mut sources, def)?;
    let scope = build_scope(&sources, &params, &lines)?;
    let mut b = Body::new(&sources, &scope);
    let states = b.state_vars(&lines)?;
    let subs = b.subexpressions()?;
    let threshold = b.threshold(def)?;
    let reset = b.statements(def.reset.as_deref(), "reset", &states, false)?;
    let update = b.statements(def.update.as_deref(), "update", &states, true)?;
    let refractory = b.refractory(def)?;
    let inputs = b.inputs(def)?;
    let first_noise_site = b.typer.rand_sites;
    let noises = b.typer.noises.clone();
    let initial = b.initial_values(def, &states, &params)?;
    drop(b);
    let mut states = states;
    for (s, v) in states.iter_mut().zip(initial) {
        s.initial = v;
    }
    Ok(Checked {
        name: def.name.clone(),
        params,
        states,
        subs,
        threshold,
        reset,
        update,
        refractory,
        inputs,
        noises,
        first_noise_site,
        sources,
    })
}

/// Registers the texts of the other fields, so that errors can point into them.
fn register_texts(sources: &mut Sources, def: &ModelDefinition) -> Checking<()> {
    let fields = [
        ("threshold", &def.threshold),
        ("reset", &def.reset),
        ("update", &def.update),
        ("refractory", &def.refractory),
    ];
    for (field, text) in fields {
        if let Some(text) = text {
            sources.add(field, text);
        }
    }
    for (port, target) in &def.inputs {
        let field = format!("inputs.{}", port.key());
        if sources.index_of(&field).is_some() {
            return Err(sources.field_error(&field, "the port is routed twice"));
        }
        sources.add(&field, target);
    }
    for (var, text) in &def.initial {
        let field = format!("initial.{var}");
        if sources.index_of(&field).is_some() {
            return Err(sources.field_error(&field, "the initial value is given twice"));
        }
        sources.add(&field, text);
    }
    Ok(())
}

fn check_params(sources: &mut Sources, def: &ModelDefinition) -> Checking<Vec<Param>> {
    let mut params: Vec<Param> = Vec::new();
    let empty = Scope::default();
    for (name, text) in &def.params {
        let src = sources.add(&format!("params.{name}"), text);
        let whole = Loc {
            src,
            start: 0,
            end: text.len() as u32,
        };
        if let Some(reason) = reserved_reason(name) {
            return Err(sources.error(whole, reason));
        }
        if params.iter().any(|p| p.name == *name) {
            return Err(sources.error(whole, format!("parameter `{name}` is defined twice")));
        }
        let expr = parse_quantity(sources, src)?;
        let mut typer = Typer::new(sources, &empty, UnitContext::Quantity);
        let (term, dim) = typer.number(&expr)?;
        let value = term.eval_host(&[]).unwrap_or(f64::NAN);
        if !value.is_finite() {
            return Err(sources.error(whole, format!("`{text}` is not a finite value")));
        }
        params.push(Param {
            name: name.clone(),
            dim,
            value,
        });
    }
    Ok(params)
}

/// Names of the equations, checked for reservations and duplicates, with their units.
fn build_scope(sources: &Sources, params: &[Param], lines: &[EquationLine]) -> Checking<Scope> {
    let mut scope = Scope::default();
    for (i, p) in params.iter().enumerate() {
        scope.symbols.insert(p.name.clone(), Symbol::Param(i));
        scope.param_dims.push(p.dim);
    }
    let empty = Scope::default();
    for line in lines {
        let name = &line.name;
        if let Some(reason) = reserved_reason(name) {
            return Err(sources.error(line.name_loc, reason));
        }
        match scope.symbols.get(name) {
            Some(Symbol::Param(_)) if matches!(line.kind, LineKind::Differential(_)) => {
                return Err(sources.error(
                    line.name_loc,
                    format!("derivative of parameter `{name}`: a parameter is constant; remove it from params to make it a state variable"),
                ));
            }
            Some(Symbol::Param(_)) => {
                return Err(sources.error(
                    line.name_loc,
                    format!("`{name}` is defined twice (it is also a parameter)"),
                ));
            }
            Some(_) => {
                return Err(sources.error(line.name_loc, format!("variable `{name}` is defined twice")));
            }
            None => {}
        }
        let mut typer = Typer::new(sources, &empty, UnitContext::Quantity);
        let (_, dim) = typer.number(&line.unit)?;
        for (flag, loc) in &line.flags {
            let allowed = flag == "unless refractory" && !matches!(line.kind, LineKind::Subexpression(_));
            if !allowed {
                return Err(sources.error(
                    *loc,
                    format!(
                        "unknown flag `{flag}`: the only flag is `unless refractory`, on state variables"
                    ),
                ));
            }
        }
        let symbol = match &line.kind {
            LineKind::Subexpression(e) => {
                scope.subs.push((name.clone(), e.clone(), dim));
                Symbol::Sub(scope.subs.len() - 1)
            }
            _ => {
                scope.state_dims.push(dim);
                Symbol::State(scope.state_dims.len() - 1)
            }
        };
        scope.symbols.insert(name.clone(), symbol);
    }
    Ok(scope)
}

/// Checks the expressions of a model against its scope.
struct Body<'a> {
    typer: Typer<'a>,
    sources: &'a Sources,
    scope: &'a Scope,
}

impl<'a> Body<'a> {
    fn new(sources: &'a Sources, scope: &'a Scope) -> Self {
        Self {
            typer: Typer::new(sources, scope, UnitContext::Expression),
            sources,
            scope,
        }
    }

    fn state_vars(&mut self, lines: &[EquationLine]) -> Checking<Vec<StateVar>> {
        let mut out = Vec::new();
        for line in lines {
            let dim = self.scope.state_dims.get(out.len()).copied();
            let kind = match &line.kind {
                LineKind::Subexpression(_) => continue,
                LineKind::Declared => StateKind::Declared,
                LineKind::Differential(rhs) => {
                    let dim = dim.expect("one dimension per state variable");
                    let (term, d) = self.typer.number(rhs)?;
                    let want = dim.div(Dim::TIME);
                    if d != want {
                        return Err(self.sources.error(
                            rhs.loc,
                            format!(
                                "unit mismatch: `{}` has unit {d}, but d{}/dt needs {want} (the unit of {} per second)",
                                self.sources.snippet(rhs.loc),
                                line.name,
                                line.name
                            ),
                        ));
                    }
                    StateKind::Differential(term)
                }
            };
            out.push(StateVar {
                name: line.name.clone(),
                dim: dim.expect("one dimension per state variable"),
                kind,
                unless_refractory: line.flags.iter().any(|(f, _)| f == "unless refractory"),
                initial: 0.0,
            });
        }
        Ok(out)
    }

    fn subexpressions(&mut self) -> Checking<Vec<(String, Term)>> {
        for (name, e, _) in &self.scope.subs {
            let loc = e.loc;
            let sym = self.scope.symbols[name];
            let Symbol::Sub(i) = sym else {
                unreachable!("subexpressions are symbols")
            };
            self.typer.expr(&Expr {
                kind: super::ast::ExprKind::Name(name.clone()),
                loc,
            })?;
            debug_assert!(self.typer.subs[i].is_some());
        }
        Ok(self
            .scope
            .subs
            .iter()
            .zip(&self.typer.subs)
            .map(|((name, _, _), t)| (name.clone(), t.clone().expect("typed above")))
            .collect())
    }

    fn no_noise(&self, term: &Term, field: &str) -> Checking<()> {
        let subs: Vec<Term> = self
            .typer
            .subs
            .iter()
            .map(|s| s.clone().unwrap_or_else(|| term.clone()))
            .collect();
        if term.any(&subs, &|k| matches!(k, TermKind::Xi(_))) {
            return Err(self.sources.error(
                term.loc,
                format!("white noise (xi) can only appear in differential equations, not in the {field}"),
            ));
        }
        Ok(())
    }

    fn threshold(&mut self, def: &ModelDefinition) -> Checking<Option<Term>> {
        let Some(text) = &def.threshold else {
            return Ok(None);
        };
        let src = self.sources_add("threshold", text);
        let e = parse_expression(self.sources, src)?;
        let t = self.typer.condition(&e, "the threshold")?;
        self.no_noise(&t, "threshold")?;
        Ok(Some(t))
    }

    /// The sources are shared immutably by the typer; texts are registered up front by
    /// [`check`], so this only finds the index of a field registered there.
    fn sources_add(&self, field: &str, _text: &str) -> u16 {
        self.sources
            .index_of(field)
            .expect("fields are registered before checking")
    }

    fn statements(
        &mut self,
        text: Option<&str>,
        field: &str,
        states: &[StateVar],
        declared_only: bool,
    ) -> Checking<Vec<Assignment>> {
        let Some(text) = text else { return Ok(Vec::new()) };
        let src = self.sources_add(field, text);
        let mut out = Vec::new();
        for st in parse_statements(self.sources, src)? {
            out.push(self.assignment(&st, field, states, declared_only)?);
        }
        Ok(out)
    }

    fn assignment(
        &mut self,
        st: &Statement,
        field: &str,
        states: &[StateVar],
        declared_only: bool,
    ) -> Checking<Assignment> {
        let err = |msg: String| Err(self.sources.error(st.target_loc, msg));
        let name = &st.target;
        let target = match self.scope.symbols.get(name) {
            Some(Symbol::State(i)) => *i,
            Some(Symbol::Param(_)) => {
                return err(format!(
                    "the {field} assigns parameter `{name}`; parameters are constant (declare `{name} : unit` in the equations to make it a variable)"
                ));
            }
            Some(Symbol::Sub(_)) => {
                return err(format!("`{name}` is a subexpression; it cannot be assigned"));
            }
            None => return err(format!("undefined variable `{name}`")),
        };
        if declared_only && matches!(states[target].kind, StateKind::Differential(_)) {
            return err(format!(
                "`{name}` has a differential equation; update can only assign variables declared as `{name} : unit`"
            ));
        }
        let (value, d) = self.typer.number(&st.value)?;
        self.no_noise(&value, field)?;
        let dim = states[target].dim;
        let (arith, want) = match st.op {
            AssignOp::Set => (None, dim),
            AssignOp::Add => (Some(Arith::Add), dim),
            AssignOp::Sub => (Some(Arith::Sub), dim),
            AssignOp::Mul => (Some(Arith::Mul), Dim::ONE),
            AssignOp::Div => (Some(Arith::Div), Dim::ONE),
        };
        if d != want && value.literal_value() != Some(0.0) {
            return Err(self.sources.error(
                st.value.loc,
                format!(
                    "unit mismatch: `{}` has unit {d}, but assigning it to `{name}` needs {want}",
                    self.sources.snippet(st.value.loc)
                ),
            ));
        }
        let loc = st.target_loc.to(st.value.loc);
        let value = match arith {
            None => value,
            Some(op) => {
                let current = Term::new(TermKind::State(target), st.target_loc);
                Term::new(TermKind::Bin(op, Box::new(current), Box::new(value)), loc)
            }
        };
        Ok(Assignment { target, value })
    }
}

impl Body<'_> {
    fn refractory(&mut self, def: &ModelDefinition) -> Checking<Option<Refractory>> {
        let Some(text) = &def.refractory else {
            return Ok(None);
        };
        let src = self.sources_add("refractory", text);
        let e = parse_expression(self.sources, src)?;
        let (term, ty) = self.typer.expr(&e)?;
        self.no_noise(&term, "refractory period")?;
        match ty {
            super::typing::Ty::Bool => Ok(Some(Refractory::Condition(term))),
            super::typing::Ty::Num(d) if d == Dim::TIME => {
                let subs: Vec<Term> = self.typer.subs.iter().flatten().cloned().collect();
                if term.any(&subs, &|k| matches!(k, TermKind::State(_) | TermKind::Sub(_) | TermKind::Time)) {
                    return Err(self.sources.error(
                        e.loc,
                        "a refractory duration may depend on parameters only; for a state-dependent end write a condition",
                    ));
                }
                Ok(Some(Refractory::Duration(term)))
            }
            super::typing::Ty::Num(d) => Err(self.sources.error(
                e.loc,
                format!(
                    "refractory must be a duration such as \"2 ms\" or a condition such as \"v > v_th\", but `{}` has unit {d}",
                    self.sources.snippet(e.loc)
                ),
            )),
        }
    }

    fn inputs(&mut self, def: &ModelDefinition) -> Checking<Vec<InputRoute>> {
        let mut out = Vec::new();
        for (port, text) in &def.inputs {
            let src = self.sources_add(&format!("inputs.{}", port.key()), text);
            let trimmed = text.trim();
            let (subtract, name) = match trimmed.strip_prefix('-') {
                Some(rest) => (true, rest.trim()),
                None => (false, trimmed),
            };
            let start = text.find(name).unwrap_or(0) as u32;
            let loc = Loc {
                src,
                start,
                end: start + name.len() as u32,
            };
            let target = match self.scope.symbols.get(name) {
                Some(Symbol::State(i)) => InputTarget::State(*i),
                Some(Symbol::Param(i)) => InputTarget::Param(*i),
                Some(Symbol::Sub(_)) => {
                    return Err(self.sources.error(loc, format!("`{name}` is a subexpression; an input must target a state variable or a parameter")));
                }
                None => {
                    return Err(self.sources.error(
                        loc,
                        format!("undefined name `{name}`: an input targets a state variable or a parameter, written `x` (add the weight) or `-x` (subtract it)"),
                    ));
                }
            };
            out.push(InputRoute {
                port: *port,
                target,
                subtract,
            });
        }
        out.sort_by_key(|r| r.port);
        Ok(out)
    }

    /// Initial values: expressions of parameters, units and constants; 0 if not given.
    fn initial_values(
        &mut self,
        def: &ModelDefinition,
        states: &[StateVar],
        params: &[Param],
    ) -> Checking<Vec<f64>> {
        let mut values = vec![0.0; states.len()];
        let param_values: Vec<f64> = params.iter().map(|p| p.value).collect();
        for (var, text) in &def.initial {
            let src = self.sources_add(&format!("initial.{var}"), text);
            let whole = Loc {
                src,
                start: 0,
                end: text.len() as u32,
            };
            let Some(k) = states.iter().position(|s| s.name == *var) else {
                return Err(self
                    .sources
                    .error(whole, format!("`{var}` is not a state variable of the model")));
            };
            let e = parse_quantity(self.sources, src)?;
            let (term, d) = self.typer.number(&e)?;
            if d != states[k].dim && term.literal_value() != Some(0.0) {
                return Err(self.sources.error(
                    whole,
                    format!(
                        "unit mismatch: `{text}` has unit {d}, but `{var}` has unit {}",
                        states[k].dim
                    ),
                ));
            }
            let Some(v) = term.eval_host(&param_values) else {
                return Err(self.sources.error(
                    whole,
                    "an initial value may depend on parameters, units and constants only",
                ));
            };
            if !v.is_finite() {
                return Err(self
                    .sources
                    .error(whole, format!("`{text}` is not a finite value")));
            }
            values[k] = v;
        }
        Ok(values)
    }
}
