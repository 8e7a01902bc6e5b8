//! Lowering an expanded condition tree to the evaluable [`Node`] form: fields
//! resolved against the registry, operators checked against field types,
//! constants converted once.

use std::collections::HashSet;

use crate::eval::{CheckNode, Const, Extractor, Node, RhsNode, TArgNode};
use crate::field::FieldType;
use crate::fields_table::Registry;
use crate::ops;
use crate::syntax::{BaseOp, Check, Expr, Operand, Pos, Rhs, TArg, TransformerKind};

use super::error::{CompileError, CompileWarning};
use super::evttypes_table::EVENT_TYPES;

type LowerResult<T> = Result<T, (CompileError, Pos)>;

/// Lowers `expr`. Compiler warnings (Falco's LOAD_COMPILE_CONDITION) are pushed to `warnings`.
pub fn lower(
    expr: &Expr,
    reg: &Registry,
    warnings: &mut Vec<(CompileWarning, Pos)>,
) -> LowerResult<Node> {
    Ok(match expr {
        Expr::And(v) => Node::And(
            v.iter()
                .map(|e| lower(e, reg, warnings))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Or(v) => Node::Or(
            v.iter()
                .map(|e| lower(e, reg, warnings))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Not(e) => Node::Not(Box::new(lower(e, reg, warnings)?)),
        Expr::Ident { name, pos } => {
            return Err((CompileError::UnexpectedIdentifier(name.clone()), *pos))
        }
        Expr::Check(c) => Node::Check(Box::new(lower_check(c, reg, warnings)?)),
    })
}

/// Filter-only network fields stand for one or two extractable fields.
fn filter_only_alias(name: &str) -> Option<(&'static str, Option<&'static str>)> {
    Some(match name {
        "fd.ip" | "fd.net" => ("fd.cip", Some("fd.sip")),
        "fd.port" => ("fd.cport", Some("fd.sport")),
        "fd.proto" => ("fd.cproto", Some("fd.sproto")),
        "fd.cnet" => ("fd.cip", None),
        "fd.snet" => ("fd.sip", None),
        "fd.lnet" => ("fd.lip", None),
        "fd.rnet" => ("fd.rip", None),
        _ => return None,
    })
}

fn lower_operand(o: &Operand, reg: &Registry) -> LowerResult<Extractor> {
    match o {
        Operand::Field { name, arg, pos } => {
            let f = reg
                .resolve(name, arg.as_deref())
                .map_err(|e| (e.into(), *pos))?;
            if let Some((a, b)) = filter_only_alias(name) {
                let fa = reg.resolve(a, None).map_err(|e| (e.into(), *pos))?;
                let mut fa = fa;
                fa.ty = f.ty;
                return Ok(match b {
                    Some(b) => {
                        let mut fb = reg.resolve(b, None).map_err(|e| (e.into(), *pos))?;
                        fb.ty = f.ty;
                        Extractor::Either(fa, fb)
                    }
                    None => Extractor::Field(fa),
                });
            }
            Ok(Extractor::Field(f))
        }
        Operand::Transformer {
            kind,
            args,
            arg,
            pos,
        } => {
            let args = args
                .iter()
                .map(|a| lower_targ(a, reg))
                .collect::<Result<Vec<_>, _>>()?;
            check_transformer_arity(*kind, &args, arg.as_deref()).map_err(|e| (e, *pos))?;
            Ok(Extractor::Transform {
                kind: *kind,
                args,
                arg: arg.clone(),
            })
        }
    }
}

fn check_transformer_arity(
    kind: TransformerKind,
    args: &[TArgNode],
    arg: Option<&str>,
) -> Result<(), CompileError> {
    let n = args.len();
    let ok = match kind {
        TransformerKind::Join => n == 2 && matches!(args[1], TArgNode::List(_) | TArgNode::Ex(_)),
        TransformerKind::Concat => n >= 2,
        TransformerKind::GetOpt => n == 2 && arg.is_some(),
        _ => n == 1 && matches!(args[0], TArgNode::Ex(_)),
    };
    if ok {
        Ok(())
    } else {
        Err(CompileError::TransformerArguments(kind.as_str()))
    }
}

fn lower_targ(a: &TArg, reg: &Registry) -> LowerResult<TArgNode> {
    Ok(match a {
        TArg::Operand(o) => TArgNode::Ex(lower_operand(o, reg)?),
        TArg::Value(v) => TArgNode::Const(v.clone()),
        TArg::List(v) => TArgNode::List(
            v.iter()
                .map(|x| lower_targ(x, reg))
                .collect::<Result<_, _>>()?,
        ),
    })
}

fn op_allowed(ty: FieldType, op: BaseOp) -> Result<(), CompileError> {
    use BaseOp::*;
    let (ok, kind) = match ty {
        FieldType::Str | FieldType::Path => (true, ""),
        FieldType::Int | FieldType::Uint => (
            matches!(
                op,
                Eq | EqEq | Ne | Lt | Le | Gt | Ge | In | Intersects | Exists
            ),
            "numeric",
        ),
        FieldType::Bool => (
            matches!(op, Eq | EqEq | Ne | In | Intersects | Exists),
            "boolean",
        ),
        FieldType::Ip | FieldType::IpNet => (
            matches!(op, Eq | EqEq | Ne | In | Intersects | Exists),
            "ip address and network",
        ),
        FieldType::Bytes => (
            matches!(
                op,
                Eq | EqEq
                    | Ne
                    | Contains
                    | In
                    | Exists
                    | StartsWith
                    | EndsWith
                    | Intersects
                    | BContains
                    | BStartsWith
            ),
            "buffer",
        ),
    };
    if ok {
        Ok(())
    } else {
        Err(CompileError::OperatorNotSupported {
            op: op.as_str(),
            kind,
        })
    }
}

fn lower_check(
    c: &Check,
    reg: &Registry,
    warnings: &mut Vec<(CompileWarning, Pos)>,
) -> LowerResult<CheckNode> {
    let lhs = lower_operand(&c.lhs, reg)?;
    let ty = lhs.ty();
    let op = c.op.base;
    op_allowed(ty, op).map_err(|m| (m, c.pos))?;
    let is_evt_type =
        matches!(&c.lhs, Operand::Field { name, arg: None, .. } if name == "evt.type");
    let conv = |v: &str, warnings: &mut Vec<(CompileWarning, Pos)>| -> LowerResult<Const> {
        if is_evt_type && !EVENT_TYPES.contains(&v) {
            return Err((CompileError::UnknownEventType(v.to_string()), c.pos));
        }
        // As libsinsp's `check_value_and_add_warnings`: the value with every blank
        // (C `isspace`) removed is what is compared with field and transformer
        // names; the message quotes the value as written.
        let nospaces: String = v
            .chars()
            .filter(|ch| !matches!(ch, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r'))
            .collect();
        if reg.resolve_text(&nospaces).is_ok() && nospaces.contains('.') {
            warnings.push((CompileWarning::FieldAsConstant(v.to_string()), c.pos));
        } else if looks_like_transformer(&nospaces) {
            warnings.push((CompileWarning::TransformerAsConstant(v.to_string()), c.pos));
        }
        convert(v, ty, op).map_err(|m| (m, c.pos))
    };
    let rhs = match &c.rhs {
        Rhs::None => RhsNode::None,
        Rhs::Operand(o) => {
            if matches!(op, BaseOp::PMatch | BaseOp::Regex) || matches!(ty, FieldType::IpNet) {
                return Err((CompileError::RhsFieldNotSupported(op.as_str()), c.pos));
            }
            RhsNode::Field(lower_operand(o, reg)?)
        }
        Rhs::Value(v) if !op.is_list_op() && c.op.modifier.is_none() => {
            if op == BaseOp::Regex && !has_regex_meta(v) {
                warnings.push((CompileWarning::RegexWithoutMeta(v.to_string()), c.pos));
            }
            RhsNode::One(conv(v, warnings)?)
        }
        Rhs::Value(v) => list_rhs(
            std::slice::from_ref(v),
            ty,
            op,
            c.op.modifier.is_some(),
            &mut |s| conv(s, warnings),
        )?,
        Rhs::List(vs) => {
            if !op.is_list_op() && c.op.modifier.is_none() {
                return Err((CompileError::NotAList(op.as_str()), c.pos));
            }
            list_rhs(vs, ty, op, c.op.modifier.is_some(), &mut |s| {
                conv(s, warnings)
            })?
        }
    };
    Ok(CheckNode {
        lhs,
        op,
        modifier: c.op.modifier,
        rhs,
    })
}

fn list_rhs(
    vs: &[String],
    ty: FieldType,
    op: BaseOp,
    modifier: bool,
    conv: &mut dyn FnMut(&str) -> LowerResult<Const>,
) -> LowerResult<RhsNode> {
    if op == BaseOp::PMatch {
        for v in vs {
            conv(v)?;
        }
        return Ok(RhsNode::Paths(ops::PathPrefixSet::new(vs)));
    }
    if !modifier && ty.is_text() {
        for v in vs {
            conv(v)?;
        }
        return Ok(RhsNode::StrSet(
            vs.iter()
                .map(|v| ops::c_str(v).to_string())
                .collect::<HashSet<_>>(),
        ));
    }
    Ok(RhsNode::Many(
        vs.iter().map(|v| conv(v)).collect::<Result<_, _>>()?,
    ))
}

fn looks_like_transformer(v: &str) -> bool {
    [
        "tolower(",
        "toupper(",
        "b64(",
        "basename(",
        "len(",
        "join(",
        "concat(",
        "getopt(",
        "val(",
    ]
    .iter()
    .any(|p| v.starts_with(p))
}

fn has_regex_meta(v: &str) -> bool {
    v.chars().any(|c| ".^$*+?()[]{}|\\".contains(c))
}

/// Converts a constant to the left-hand side's type.
fn convert(v: &str, ty: FieldType, op: BaseOp) -> Result<Const, CompileError> {
    if op == BaseOp::Regex {
        return Ok(Const::Regex(ops::compile_regex(v)?));
    }
    if matches!(op, BaseOp::Glob | BaseOp::IGlob) && ty.is_text() {
        return Ok(Const::Glob(ops::Glob::new(v, op == BaseOp::IGlob)));
    }
    if matches!(op, BaseOp::BContains | BaseOp::BStartsWith) {
        return Ok(Const::Bytes(ops::parse_hex(v)?));
    }
    match ty {
        FieldType::Str | FieldType::Path => Ok(Const::Str(v.to_string())),
        FieldType::Int | FieldType::Uint => ops::parse_int_sinsp(v)
            .map(|i| Const::Int(i as i128))
            .map_err(|_| CompileError::NotANumber(v.to_string())),
        FieldType::Bool => match v {
            "true" => Ok(Const::Bool(true)),
            "false" => Ok(Const::Bool(false)),
            _ => Err(CompileError::NotABoolean(v.to_string())),
        },
        FieldType::Ip => {
            if v.contains('/') {
                Ok(Const::Net(ops::IpNet::parse(v)?))
            } else {
                v.parse()
                    .map(Const::Ip)
                    .map_err(|_| CompileError::NotAnIpAddress(v.to_string()))
            }
        }
        FieldType::IpNet => Ok(Const::Net(ops::IpNet::parse_strict(v)?)),
        FieldType::Bytes => Ok(Const::Bytes(v.as_bytes().to_vec())),
    }
}
