//! Arbitrary questions, selectors and pasted blocks never panic, and an answer's intent is
//! always one of the table's or `unknown`.

mod common;
use common::*;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_questions_never_panic(
        q in prop_oneof![
            "\\PC{0,60}",
            "[a-zA-Z ?]{0,40}",
            "(誤検知|例外|書いて|何が|抑止|ルール|なぜ|次に|[ぁ-ん]){0,8}",
            "(- rule: |exceptions:|\n|  - name: x|fields: \\[|values|\t){0,10}",
        ],
        about in prop_oneof![
            Just(None),
            "[0-9]{1,3}".prop_map(Some),
            "[0-9a-f]{12}".prop_map(Some),
            "\\PC{0,30}".prop_map(Some),
        ],
    ) {
        let recs = records(SEED);
        let a = ask(&recs, &q, about.as_deref(), None);
        prop_assert!(a.lang == "en" || a.lang == "ja");
        prop_assert!(!a.answer.is_empty() || !a.diagnostics.is_empty());
        if let Some(e) = &a.exception {
            // An exception in an answer is one quell verified (or a corrected block it verified).
            prop_assert!(e.verification.loads);
        }
    }
}
