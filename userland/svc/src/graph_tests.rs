use super::*;
use crate::def::{Definition, DefinitionFile};

fn defs(specs: &[(&str, &str)]) -> Vec<Definition> {
    let dir = tempfile::tempdir().expect("temp dir");
    specs
        .iter()
        .map(|(name, extra)| {
            let path = dir.path().join(format!("{name}.toml"));
            std::fs::write(&path, format!("command = \"x\"\n{extra}\n")).expect("write");
            DefinitionFile::read(&path)
                .expect("parses")
                .instantiate(None)
                .expect("ok")
        })
        .collect()
}

#[test]
fn cycles_are_found_with_their_members() {
    let d = defs(&[
        ("a", "requires = [\"b\"]"),
        ("b", "after = [\"c\"]"),
        ("c", "wants = [\"a\"]"),
        ("d", "requires = [\"a\"]"),
        ("e", "before = [\"f\"]"),
        ("f", "before = [\"e\"]"),
        ("g", ""),
    ]);
    let graph = Graph::new(&d);
    assert_eq!(graph.cycles(), vec![vec!["a", "b", "c"], vec!["e", "f"]]);
}

#[test]
fn no_cycles_in_a_dag_even_a_long_one() {
    let specs: Vec<(String, String)> = (0..5000)
        .map(|i| {
            (
                format!("s{i}"),
                if i > 0 {
                    format!("requires = [\"s{}\"]", i - 1)
                } else {
                    String::new()
                },
            )
        })
        .collect();
    let borrowed: Vec<(&str, &str)> = specs
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let graph = Graph::new(&defs(&borrowed));
    assert!(graph.cycles().is_empty());
}

#[test]
fn before_becomes_after_on_the_other_side() {
    let graph = Graph::new(&defs(&[("early", "before = [\"late\"]"), ("late", "")]));
    assert!(graph.node("late").expect("late").after.contains("early"));
    assert_eq!(graph.ordered_after("early"), ["late"]);
}

#[test]
fn pulled_in_and_requirers() {
    let graph = Graph::new(&defs(&[
        (
            "app",
            "requires = [\"db\"]\nwants = [\"cache\"]\nafter = [\"net\"]",
        ),
        ("db", "requires = [\"disk\"]"),
        ("disk", ""),
        ("cache", ""),
        ("net", ""),
    ]));
    let pulled: Vec<String> = graph.pulled_in(["app".to_string()]).into_iter().collect();
    assert_eq!(pulled, ["app", "cache", "db", "disk"]);
    let requirers: Vec<String> = graph.requirers("disk").into_iter().collect();
    assert_eq!(requirers, ["app", "db"]);
}

#[test]
fn verdicts() {
    let graph = Graph::new(&defs(&[(
        "app",
        "requires = [\"db\"]\nwants = [\"cache\"]\nafter = [\"net\"]",
    )]));
    let state = |db: DepState, cache: DepState, net: DepState| {
        move |name: &str| match name {
            "db" => db,
            "cache" => cache,
            _ => net,
        }
    };
    use DepState::*;
    assert_eq!(
        graph.verdict("app", state(Ready, Ready, Ready)),
        Verdict::Start
    );
    assert_eq!(
        graph.verdict("app", state(Pending, Ready, Ready)),
        Verdict::Wait
    );
    assert_eq!(
        graph.verdict("app", state(Ready, Pending, Ready)),
        Verdict::Wait
    );
    assert_eq!(
        graph.verdict("app", state(Ready, Ready, Pending)),
        Verdict::Wait
    );
    assert_eq!(
        graph.verdict("app", state(Ready, Failed, Inactive)),
        Verdict::Start
    );
    assert_eq!(
        graph.verdict("app", state(Ready, Missing, Missing)),
        Verdict::Start
    );
    assert!(
        matches!(graph.verdict("app", state(Failed, Ready, Ready)), Verdict::Fail(m) if m.contains("db"))
    );
    assert!(
        matches!(graph.verdict("app", state(Missing, Ready, Ready)), Verdict::Fail(m) if m.contains("db"))
    );
    assert!(matches!(
        graph.verdict("nope", state(Ready, Ready, Ready)),
        Verdict::Fail(_)
    ));
}
