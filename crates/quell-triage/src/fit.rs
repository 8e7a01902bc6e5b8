//! Fitting the signal weights on labeled clusters: the corpus's train split only (by
//! family, FNV-1a rule of the corpus contract), an asymmetric loss (calling an attack
//! "likely false positive" costs far more than missing a benign one), sign constraints
//! per signal (benign signals stay >= 0, attack signals <= 0).

use crate::signals::{bundled, Kind, Weights};
use crate::triage::{Features, FP_THRESHOLD};

/// One labeled cluster.
#[derive(Clone, Debug)]
pub struct Example {
    /// The scenario family (the unit of the split).
    pub family: String,
    /// True for a benign scenario's cluster.
    pub benign: bool,
    /// The cluster's features (see [`crate::triage::ClusterReport::features`]).
    pub features: Features,
    /// Every alert of the cluster has an anchor (see
    /// [`crate::triage::ClusterReport::anchor`]): without one, triage never calls the
    /// cluster likely false positive whatever the weights, so it does not inform the fit.
    pub anchored: bool,
}

/// The corpus contract's split: FNV-1a 64 over the family name; `true` (test) when the
/// hash % 3 == 0.
pub fn is_test_family(family: &str) -> bool {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in family.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h % 3 == 0
}

/// The family of a scenario name `<family>__<scenario>[@variant-k|@near-k]`.
pub fn family_of(name: &str) -> &str {
    name.split("__").next().unwrap_or(name)
}

/// How much costlier an attack scored high is than a benign cluster scored low.
pub const ATTACK_COST: f64 = 25.0;
/// Pull toward the table's weights (L2 per example), so that the fit moves a hand-set
/// weight only as far as the train split's clusters ask, and keeps the ones it never sees.
pub const PRIOR: f64 = 0.2;
/// After fitting, every train attack cluster that no vetoing signal covers must score this
/// far (log-odds) below the "likely false positive" threshold.
pub const MARGIN: f64 = 0.3;
/// How sharply an attack cluster's cost rises as it nears the threshold.
pub const SHARP: f64 = 4.0;

fn logit(w: &Weights, f: &Features) -> f64 {
    f.iter()
        .map(|(id, x)| w.get(id).copied().unwrap_or(0.0) * x)
        .sum()
}

/// Whether a vetoing attack signal is present with a negative effect (triage then says
/// "uncertain" at best; see `veto` in `data/signals.yaml`).
pub fn vetoed(w: &Weights, f: &Features) -> bool {
    let t = bundled();
    f.iter()
        .any(|(id, x)| t.vetoes(id) && w.get(id).copied().unwrap_or(0.0) * x < 0.0)
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Fits weights on `examples` (the caller passes the train split only).
///
/// The model is triage's: a cluster is called "likely false positive" when its score
/// reaches [`FP_THRESHOLD`], no vetoing attack signal is present and every alert has an
/// anchor ([`Example::anchored`]). So only the anchored clusters without a vetoing signal
/// inform the fit, and the vetoing signals keep the table's
/// weights (they never decide that call). The other weights are fitted by projected
/// gradient descent on an asymmetric loss around the threshold (an attack near or above it
/// costs [`ATTACK_COST`] times a benign cluster below it), pulled toward the table's
/// weights ([`PRIOR`]) and kept to their signs. Last, a margin: while a train attack cluster
/// scores within [`MARGIN`] of the threshold, the benign weights it shows are scaled down.
pub fn fit(examples: &[Example]) -> Weights {
    let t = bundled();
    let prior = t.weights();
    let mut w = prior.clone();
    let data: Vec<&Example> = examples
        .iter()
        .filter(|e| e.anchored && !vetoed(&prior, &e.features))
        .collect();
    let free = |id: &str| t.get(id).is_some_and(|s| !s.veto);
    // The loss is about the call, not the score: a benign cluster costs softplus(T - z)
    // (it wants its log-odds z above the threshold T), an attack cluster
    // ATTACK_COST * softplus(SHARP * (z - (T - MARGIN))) / SHARP (it wants z below the
    // threshold by the margin; far below, it no longer pulls).
    let thr = (FP_THRESHOLD / (1.0 - FP_THRESHOLD)).ln();
    let lr = 0.05;
    for _ in 0..4000 {
        let mut grad: Weights = w.keys().map(|k| (k.clone(), 0.0)).collect();
        for e in &data {
            let z = logit(&w, &e.features);
            let g = if e.benign {
                -sigmoid(thr - z)
            } else {
                ATTACK_COST * sigmoid(SHARP * (z - (thr - MARGIN)))
            };
            for (id, x) in &e.features {
                if let Some(v) = grad.get_mut(id) {
                    *v += g * x;
                }
            }
        }
        let n = data.len().max(1) as f64;
        for (id, v) in w.iter_mut() {
            if !free(id) {
                continue;
            }
            let g = grad[id] / n + PRIOR * (*v - prior[id]);
            *v -= lr * g;
            clamp_sign(t, id, v);
        }
    }
    // The margin: no train attack cluster within MARGIN of the threshold.
    let limit = (FP_THRESHOLD / (1.0 - FP_THRESHOLD)).ln() - MARGIN;
    for _ in 0..200 {
        let Some(worst) = data
            .iter()
            .filter(|e| !e.benign)
            .map(|e| (logit(&w, &e.features), *e))
            .filter(|(z, _)| *z > limit)
            .max_by(|a, b| a.0.total_cmp(&b.0))
        else {
            break;
        };
        for (id, x) in &worst.1.features {
            if *x > 0.0 && t.get(id).is_some_and(|s| s.kind == Kind::Benign) {
                if let Some(v) = w.get_mut(id) {
                    *v *= 0.97;
                }
            }
        }
    }
    for v in w.values_mut() {
        *v = (*v * 1000.0).round() / 1000.0;
    }
    w
}

fn clamp_sign(t: &crate::signals::Table, id: &str, v: &mut f64) {
    match t.get(id).map(|s| s.kind) {
        Some(Kind::Benign) => *v = v.max(0.0),
        Some(Kind::Attack) => *v = v.min(0.0),
        None => {}
    }
}

/// The figures of one set of clusters under a set of weights.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Figures {
    /// Benign clusters.
    pub benign: usize,
    /// Attack clusters.
    pub attack: usize,
    /// Benign clusters called likely false positive.
    pub benign_fp_calls: usize,
    /// Attack clusters called likely false positive (must be 0).
    pub attack_fp_calls: usize,
}

impl Figures {
    /// Precision of "likely false positive".
    pub fn precision(&self) -> f64 {
        let calls = self.benign_fp_calls + self.attack_fp_calls;
        if calls == 0 {
            0.0
        } else {
            self.benign_fp_calls as f64 / calls as f64
        }
    }
    /// Recall of "likely false positive" over benign clusters.
    pub fn recall(&self) -> f64 {
        self.benign_fp_calls as f64 / self.benign.max(1) as f64
    }
}

/// Scores `examples` under `w`.
pub fn evaluate(examples: &[Example], w: &Weights) -> Figures {
    let mut f = Figures::default();
    for e in examples {
        let called = (sigmoid(logit(w, &e.features)) * 1000.0).round() / 1000.0 >= FP_THRESHOLD
            && !vetoed(w, &e.features)
            && e.anchored;
        if e.benign {
            f.benign += 1;
            f.benign_fp_calls += usize::from(called);
        } else {
            f.attack += 1;
            f.attack_fp_calls += usize::from(called);
        }
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_rule() {
        // FNV-1a 64 of "" is the offset basis; % 3 of it decides.
        assert_eq!(is_test_family(""), 0xcbf2_9ce4_8422_2325u64 % 3 == 0);
        assert_eq!(family_of("cron-backup__restic@variant-1"), "cron-backup");
        let fams = [
            "cron-backup",
            "reverse-shell",
            "log-rotation-by-hand",
            "web-shell",
            "ci-build",
        ];
        let test: Vec<bool> = fams.iter().map(|f| is_test_family(f)).collect();
        assert!(test.iter().any(|t| *t) || test.iter().any(|t| !*t));
    }

    fn ex(benign: bool, f: &[(&str, f64)]) -> Example {
        Example {
            family: "f".into(),
            benign,
            features: f.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            anchored: true,
        }
    }

    /// Issue 11 (anchors): a cluster without an anchor is never called likely false
    /// positive, so attacks at a terminal with nothing else (an intruder's quiet `kubectl
    /// exec`) must not drag down the weights that move anchored benign clusters; the same
    /// attacks anchored do.
    #[test]
    fn unanchored_clusters_do_not_inform_the_fit() {
        let data = |attacks_anchored: bool| {
            let mut d = Vec::new();
            for _ in 0..6 {
                let mut b = ex(true, &[("interactive_session", 1.0), ("known_benign", 1.0)]);
                b.anchored = true;
                d.push(b);
                let mut a = ex(
                    false,
                    &[("interactive_session", 1.0), ("session_quiet", 1.0)],
                );
                a.anchored = attacks_anchored;
                d.push(a);
            }
            d
        };
        let free = fit(&data(false));
        let pulled = fit(&data(true));
        assert!(
            free["interactive_session"] > pulled["interactive_session"] + 0.1,
            "{free:?} {pulled:?}"
        );
        let f = evaluate(&data(false), &free);
        assert_eq!(f.attack_fp_calls, 0, "{free:?}");
        assert_eq!(f.benign_fp_calls, 6, "{free:?}");
    }

    #[test]
    fn fitting_keeps_signs_and_pushes_attacks_down() {
        // An attack that shows only interactive_session: fitting must lower that weight
        // (it cannot go negative) until the attack is no longer called a false positive.
        let mut data = vec![ex(
            false,
            &[("interactive_session", 1.0), ("target_housekeeping", 1.0)],
        )];
        for _ in 0..3 {
            data.push(ex(
                true,
                &[
                    ("interactive_session", 1.0),
                    ("target_housekeeping", 1.0),
                    ("known_benign", 1.6),
                ],
            ));
        }
        data.push(ex(false, &[("service_shell", 1.0), ("known_benign", 1.0)]));
        let w = fit(&data);
        for s in &bundled().signals {
            match s.kind {
                Kind::Benign => assert!(w[&s.id] >= 0.0, "{}", s.id),
                Kind::Attack => assert!(w[&s.id] <= 0.0, "{}", s.id),
            }
        }
        let f = evaluate(&data, &w);
        assert_eq!(f.attack_fp_calls, 0, "{w:?}");
        assert!(f.benign_fp_calls >= 1, "{w:?}");
    }

    #[test]
    fn vetoed_clusters_do_not_pull_benign_weights_and_the_margin_holds() {
        // Attacks with a download (a vetoing signal) and the benign signals of the benign
        // clusters: they are never called likely FP, so they must not zero those weights.
        let mut data = Vec::new();
        for _ in 0..10 {
            data.push(ex(
                false,
                &[
                    ("interactive_session", 1.0),
                    ("target_housekeeping", 1.0),
                    ("session_download", 1.0),
                ],
            ));
            data.push(ex(
                true,
                &[
                    ("interactive_session", 1.0),
                    ("target_housekeeping", 1.0),
                    ("session_quiet", 1.0),
                ],
            ));
        }
        // One attack without vetoing evidence, at a terminal and quiet.
        data.push(ex(
            false,
            &[("interactive_session", 1.0), ("session_quiet", 1.0)],
        ));
        let w = fit(&data);
        let prior = bundled().weights();
        assert_eq!(w["session_download"], prior["session_download"]);
        assert!(w["interactive_session"] > 0.3, "{w:?}");
        let f = evaluate(&data, &w);
        assert_eq!(f.attack_fp_calls, 0, "{w:?}");
        assert_eq!(f.benign_fp_calls, 10, "{w:?}");
        let limit = (FP_THRESHOLD / (1.0 - FP_THRESHOLD)).ln() - MARGIN;
        let z = w["interactive_session"] + w["session_quiet"];
        assert!(z <= limit + 1e-2, "{z} {w:?}");
    }
}
