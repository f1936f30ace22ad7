//! No input whatever may produce INTERNAL_SERVER_ERROR: every argument of
//! every root field, read from the schema so new fields are covered, gets
//! boundary and random values through the real router, as each kind of viewer.

use std::{
    cell::RefCell,
    collections::{BTreeMap, HashMap},
    time::Instant,
};

use async_graphql::parser::{
    parse_schema,
    types::{BaseType, Type, TypeKind, TypeSystemDefinition},
};
use axum::http::StatusCode;
use proptest::{
    collection::vec,
    option,
    prelude::*,
    sample::select,
    strategy::Union,
    test_runner::{Config, RngAlgorithm, RngSeed, TestCaseError, TestRunner},
};
use sea_orm::EntityTrait;
use serde_json::{Map, Value};
use tokio::sync::Mutex;
use tollgate::auth::Role;
use uuid::Uuid;

use crate::helpers::{PASSWORD, Session, TestApp, TestResponse};

/// Enough cases to reach every root field many times, few enough for CI.
const CASES: u32 = 2000;
/// The default seed, so that CI runs are reproducible (`PROPTEST_RNG_SEED`
/// picks another, `PROPTEST_CASES` another number of cases).
const SEED: u64 = 0x7011_6a7e;
/// Input objects nest no deeper than this.
const MAX_DEPTH: usize = 4;

#[test]
fn no_argument_value_produces_an_internal_error() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let app = runtime.block_on(TestApp::seeded_with(|args| {
        // Random sign-ins and registrations must not lock out the test's own.
        args.login_max_failures = Some("1000000".into());
        args.login_max_failures_per_ip = Some("1000000".into());
        args.register_per_hour = Some("1000000".into());
    }));
    let viewers = runtime.block_on(Viewers::sign_in(&app));
    let known = runtime.block_on(Known::load(&app, &viewers.admin));
    let schema = Schema::read();
    let strategy = case(&schema, &known);

    let mut config = Config {
        failure_persistence: None,
        max_shrink_iters: 200,
        rng_algorithm: RngAlgorithm::ChaCha,
        ..Config::default()
    };
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = CASES;
    }
    if config.rng_seed == RngSeed::Random {
        config.rng_seed = RngSeed::Fixed(SEED);
    }
    let seed = config.rng_seed;
    let run = Run {
        app: &app,
        schema: &schema,
        viewers: Mutex::new(viewers),
        outcomes: RefCell::default(),
    };
    let started = Instant::now();
    let result = TestRunner::new(config).run(&strategy, |case| runtime.block_on(run.check(&case)));
    let outcomes = run.outcomes.borrow();
    println!(
        "any input: {} runs over {} root fields in {:.1?} (seed {seed}); first error codes: {outcomes:?}",
        outcomes.values().sum::<u32>(),
        schema.roots.len(),
        started.elapsed()
    );
    runtime.block_on(async move { drop(app) });
    if let Err(err) = result {
        panic!("{err}");
    }
}

/// The schema as the property reads it: root fields to call, and the types
/// their arguments take.
struct Schema {
    roots: Vec<RootField>,
    objects: HashMap<String, Vec<OutputField>>,
    inputs: HashMap<String, Vec<(String, Type)>>,
    enums: HashMap<String, Vec<String>>,
}

struct OutputField {
    name: String,
    ty: Type,
    arguments: Vec<(String, Type)>,
}

struct RootField {
    operation: &'static str,
    name: String,
    arguments: Vec<(String, Type)>,
    selection: String,
}

impl Schema {
    fn read() -> Self {
        let document = parse_schema(tollgate::graphql::sdl()).unwrap();
        let mut schema = Self {
            roots: Vec::new(),
            objects: HashMap::new(),
            inputs: HashMap::new(),
            enums: HashMap::new(),
        };
        let types = document.definitions.into_iter().filter_map(|d| match d {
            TypeSystemDefinition::Type(t) => Some((t.node.name.node.to_string(), t.node.kind)),
            _ => None,
        });
        for (name, kind) in types {
            match kind {
                TypeKind::Object(object) => {
                    let fields = object.fields.into_iter().map(|f| OutputField {
                        name: f.node.name.node.to_string(),
                        ty: f.node.ty.node,
                        arguments: input_values(f.node.arguments),
                    });
                    schema.objects.insert(name, fields.collect());
                }
                TypeKind::InputObject(input) => {
                    schema.inputs.insert(name, input_values(input.fields));
                }
                TypeKind::Enum(e) => {
                    let values = e.values.iter().map(|v| v.node.value.node.to_string());
                    schema.enums.insert(name, values.collect());
                }
                _ => {}
            }
        }
        schema.roots = [("query", "Query"), ("mutation", "Mutation")]
            .into_iter()
            .flat_map(|(operation, root)| schema.root_fields(operation, root))
            .collect();
        assert!(
            schema.roots.len() > 10,
            "the schema's root fields were not read"
        );
        schema
    }

    fn root_fields(&self, operation: &'static str, root: &str) -> Vec<RootField> {
        self.objects[root]
            .iter()
            .map(|field| RootField {
                operation,
                name: field.name.clone(),
                arguments: field.arguments.clone(),
                selection: self.selection(&field.ty, 0),
            })
            .collect()
    }

    /// A small valid selection on `ty` (none for a leaf): `__typename`,
    /// leaves near the top, ids further down, and object fields without
    /// required arguments, two levels deep.
    fn selection(&self, ty: &Type, depth: usize) -> String {
        let Some(fields) = self.objects.get(named(ty)) else {
            return String::new();
        };
        let mut selected = vec!["__typename".to_owned()];
        for field in fields {
            if field.arguments.iter().any(|(_, ty)| !ty.nullable) {
                continue;
            }
            if !self.objects.contains_key(named(&field.ty)) {
                if depth < 2 || field.name == "id" {
                    selected.push(field.name.clone());
                }
            } else if depth < 2 {
                let inner = self.selection(&field.ty, depth + 1);
                selected.push(format!("{} {inner}", field.name));
            }
        }
        format!("{{ {} }}", selected.join(" "))
    }
}

fn input_values(
    values: Vec<async_graphql::Positioned<async_graphql::parser::types::InputValueDefinition>>,
) -> Vec<(String, Type)> {
    values
        .into_iter()
        .map(|v| (v.node.name.node.to_string(), v.node.ty.node))
        .collect()
}

/// The named type inside any list and non-null wrappers.
fn named(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(inner) => named(inner),
    }
}

/// Rows of the seeded database, so that ids and names sometimes hit.
struct Known {
    ids: Vec<String>,
    strings: Vec<String>,
}

impl Known {
    async fn load(app: &TestApp, admin: &Session) -> Self {
        let db = &app.state.db;
        let users = entity::users::Entity::find().all(db).await.unwrap();
        let products = entity::products::Entity::find().all(db).await.unwrap();
        let orders = entity::orders::Entity::find().all(db).await.unwrap();
        let ids = users
            .iter()
            .map(|u| u.id)
            .chain(products.iter().map(|p| p.id))
            .chain(orders.iter().map(|o| o.id))
            .map(|id| id.to_string())
            .collect();
        let strings = users
            .into_iter()
            .map(|u| u.email)
            .chain(products.into_iter().map(|p| p.sku))
            .chain([PASSWORD, tollgate::seed::DEMO_PASSWORD, "EUR", "USD"].map(String::from))
            .chain(cursors(app, admin).await)
            .collect();
        Self { ids, strings }
    }
}

/// Cursors of the first pages of every root connection.
async fn cursors(app: &TestApp, admin: &Session) -> Vec<String> {
    let data = app
        .data_as(
            admin,
            "{ products(first: 3) { pageInfo { endCursor } } \
               users(first: 3) { pageInfo { endCursor } } \
               orders(first: 3) { pageInfo { endCursor } } }",
        )
        .await;
    let connections = data.as_object().unwrap().values();
    let cursors = connections.map(|c| c["pageInfo"]["endCursor"].as_str().unwrap().to_owned());
    cursors.collect()
}

/// A value as a client may send it, inline or as a variable.
#[derive(Clone, Debug)]
enum Input {
    Null,
    Bool(bool),
    Int(i64),
    Big(u64),
    Float(f64),
    Str(String),
    Enum(String),
    List(Vec<Input>),
    Object(Vec<(String, Input)>),
}

impl Input {
    fn json(&self) -> Value {
        match self {
            Self::Null => Value::Null,
            Self::Bool(b) => Value::from(*b),
            Self::Int(n) => Value::from(*n),
            Self::Big(n) => Value::from(*n),
            Self::Float(x) => Value::from(*x),
            Self::Str(s) | Self::Enum(s) => Value::from(s.as_str()),
            Self::List(items) => items.iter().map(Self::json).collect(),
            Self::Object(fields) => {
                let fields = fields.iter().map(|(k, v)| (k.clone(), v.json()));
                Value::Object(fields.collect())
            }
        }
    }

    /// The value as a GraphQL literal.
    fn literal(&self) -> String {
        match self {
            Self::Null => "null".to_owned(),
            Self::Bool(b) => b.to_string(),
            Self::Int(n) => n.to_string(),
            Self::Big(n) => n.to_string(),
            Self::Float(x) => format!("{x:?}"),
            // JSON's string escapes are GraphQL's.
            Self::Str(s) => Value::from(s.as_str()).to_string(),
            Self::Enum(name) => name.clone(),
            Self::List(items) => {
                let items: Vec<String> = items.iter().map(Self::literal).collect();
                format!("[{}]", items.join(", "))
            }
            Self::Object(fields) => {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|(k, v)| format!("{k}: {}", v.literal()))
                    .collect();
                format!("{{{}}}", fields.join(", "))
            }
        }
    }
}

/// How one argument is passed.
#[derive(Clone, Debug)]
enum Argument {
    Absent,
    Inline(Input),
    Variable(Input),
    /// Declared as a variable that the request leaves out.
    Unset,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Viewer {
    Anonymous,
    BadToken,
    Customer,
    Admin,
}

#[derive(Clone, Debug)]
struct Case {
    field: usize,
    viewer: Viewer,
    arguments: Vec<Argument>,
}

/// Any root field, as any viewer, with any arguments.
fn case(schema: &Schema, known: &Known) -> impl Strategy<Value = Case> + use<> {
    let fields = schema.roots.iter().enumerate().map(|(field, root)| {
        let arguments: Vec<_> = root
            .arguments
            .iter()
            .map(|(_, ty)| argument(schema, known, ty))
            .collect();
        let viewers = prop_oneof![
            1 => Just(Viewer::Anonymous),
            1 => Just(Viewer::BadToken),
            3 => Just(Viewer::Customer),
            3 => Just(Viewer::Admin),
        ];
        (viewers, arguments)
            .prop_map(move |(viewer, arguments)| Case {
                field,
                viewer,
                arguments,
            })
            .boxed()
    });
    Union::new(fields)
}

fn argument(schema: &Schema, known: &Known, ty: &Type) -> BoxedStrategy<Argument> {
    let tame = Values::new(schema, known, false).of(ty, 0);
    let wild = Values::new(schema, known, true).of(ty, 0);
    let absent = if ty.nullable { 3 } else { 1 };
    prop_oneof![
        absent => Just(Argument::Absent),
        1 => Just(Argument::Unset),
        3 => prop_oneof![2 => tame.clone(), 1 => wild.clone()].prop_map(Argument::Inline),
        8 => prop_oneof![2 => tame, 1 => wild].prop_map(Argument::Variable),
    ]
    .boxed()
}

/// Strategies for values of a type: `wild` ones also hold nulls, values of
/// the wrong kind, bogus enum names, missing and unknown fields.
struct Values<'a> {
    schema: &'a Schema,
    known: &'a Known,
    wild: bool,
}

impl<'a> Values<'a> {
    fn new(schema: &'a Schema, known: &'a Known, wild: bool) -> Self {
        Self {
            schema,
            known,
            wild,
        }
    }

    fn of(&self, ty: &Type, depth: usize) -> BoxedStrategy<Input> {
        if depth > MAX_DEPTH {
            return Just(Input::Null).boxed();
        }
        let fitting = match &ty.base {
            BaseType::List(inner) => self.list(inner, depth),
            BaseType::Named(name) => self.named(name, depth),
        };
        match (self.wild, ty.nullable) {
            (true, _) => {
                prop_oneof![10 => fitting, 1 => Just(Input::Null), 1 => wrong_kind()].boxed()
            }
            (false, true) => prop_oneof![3 => fitting, 1 => Just(Input::Null)].boxed(),
            (false, false) => fitting,
        }
    }

    fn list(&self, item: &Type, depth: usize) -> BoxedStrategy<Input> {
        let items = self.of(item, depth + 1);
        // Long lists of sensible items, so that the resolver sees them.
        let long_items = Values::new(self.schema, self.known, false).of(item, depth + 1);
        prop_oneof![
            1 => Just(Input::List(Vec::new())),
            6 => vec(items.clone(), 1..4).prop_map(Input::List),
            1 => vec(long_items, 51..=200).prop_map(Input::List),
            // A single value where a list is expected (input coercion).
            1 => items,
        ]
        .boxed()
    }

    fn named(&self, name: &str, depth: usize) -> BoxedStrategy<Input> {
        match name {
            "Int" => int(self.wild),
            "Float" => float(),
            "Boolean" => any::<bool>().prop_map(Input::Bool).boxed(),
            "String" => string(self.known, self.wild),
            "ID" => id(self.known, self.wild),
            "DateTime" => date_time(),
            _ => {
                if let Some(values) = self.schema.enums.get(name) {
                    self.enumeration(values)
                } else if let Some(fields) = self.schema.inputs.get(name) {
                    self.object(fields, depth)
                } else {
                    string(self.known, self.wild)
                }
            }
        }
    }

    fn enumeration(&self, values: &[String]) -> BoxedStrategy<Input> {
        let valid = select(values.to_vec()).prop_map(Input::Enum);
        if !self.wild {
            return valid.boxed();
        }
        let bogus = ["BOGUS", "pending", "true", "null", "Admin", "__typename"];
        prop_oneof![
            3 => valid,
            1 => select(bogus.to_vec()).prop_map(|n| Input::Enum(n.to_owned())),
        ]
        .boxed()
    }

    /// Input objects with random subsets of their fields: required ones are
    /// sometimes missing and unknown ones sometimes present, when wild.
    fn object(&self, fields: &[(String, Type)], depth: usize) -> BoxedStrategy<Input> {
        let fields: Vec<_> = fields
            .iter()
            .map(|(name, ty)| {
                let present = match (ty.nullable, self.wild) {
                    (false, false) => 1.0,
                    (false, true) => 0.9,
                    (true, _) => 0.6,
                };
                let name = name.clone();
                let value = self.of(ty, depth + 1).prop_map(move |v| (name.clone(), v));
                sometimes(present, value)
            })
            .collect();
        let unknown = sometimes(
            if self.wild { 0.1 } else { 0.0 },
            (
                select(vec!["bogus", "id", "role", "__typename"]),
                wrong_kind(),
            )
                .prop_map(|(name, value)| (name.to_owned(), value)),
        );
        (fields, unknown)
            .prop_map(|(fields, unknown)| {
                Input::Object(fields.into_iter().flatten().chain(unknown).collect())
            })
            .boxed()
    }
}

/// `Some` value of `strategy` with probability `p` (0 and 1 included).
fn sometimes<T: std::fmt::Debug + 'static>(
    p: f64,
    strategy: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<Option<T>> {
    match p {
        0.0 => Just(()).prop_map(|()| None).boxed(),
        1.0 => strategy.prop_map(Some).boxed(),
        p => option::weighted(p, strategy).boxed(),
    }
}

/// Ints at and beyond every boundary that matters: 32 bits, JavaScript's
/// 2^53, 64 bits, the limits of Tollgate's own inputs.
fn int(wild: bool) -> BoxedStrategy<Input> {
    let edges = vec![
        0,
        1,
        -1,
        2,
        5,
        6,
        8,
        20,
        50,
        51,
        100,
        101,
        1_000,
        1_001,
        100_000_000,
        100_000_001,
        i64::from(i32::MAX),
        i64::from(i32::MIN),
        i64::from(i32::MAX) + 1,
        i64::from(i32::MIN) - 1,
        1_000_000_000_000,
        -1_000_000_000_000,
        1 << 53,
        i64::MAX,
        i64::MIN,
    ];
    let ints = prop_oneof![
        4 => select(edges).prop_map(Input::Int),
        3 => (1i64..=5).prop_map(Input::Int),
        3 => (1i64..=100).prop_map(Input::Int),
        2 => (-10i64..=1_010).prop_map(Input::Int),
        1 => any::<i32>().prop_map(|n| Input::Int(n.into())),
        1 => any::<i64>().prop_map(Input::Int),
    ];
    if !wild {
        return ints.boxed();
    }
    prop_oneof![
        8 => ints,
        1 => Just(Input::Big(u64::MAX)),
        1 => float(),
    ]
    .boxed()
}

fn float() -> BoxedStrategy<Input> {
    select(vec![1.5, 1e300, -0.5, 2.0, f64::MAX])
        .prop_map(Input::Float)
        .boxed()
}

/// Strings that could be right: seeded emails, SKUs and passwords, and text
/// of the lengths and alphabets inputs take; when wild, also strings that
/// break naive code.
fn string(known: &Known, wild: bool) -> BoxedStrategy<Input> {
    let plausible = prop_oneof![
        2 => select(known.strings.clone()),
        2 => "[A-Za-z0-9 ]{8,30}",
        1 => "[a-z0-9.+-]{1,20}@[a-z]{1,10}\\.[a-z]{2,3}",
        1 => "[A-Z0-9-]{3,12}",
    ];
    if !wild {
        return plausible.prop_map(Input::Str).boxed();
    }
    prop_oneof![
        1 => plausible,
        1 => odd_string(),
        1 => any::<String>(),
        1 => "[ -~]{0,40}",
    ]
    .prop_map(Input::Str)
    .boxed()
}

/// Strings that break naive code: empty, far too long, unicode, control
/// characters, LIKE wildcards, SQL, NUL.
fn odd_string() -> impl Strategy<Value = String> {
    let odd = vec![
        String::new(),
        " ".to_owned(),
        "a".repeat(20_000),
        "x".repeat(101),
        "x".repeat(129),
        "x".repeat(256),
        "x".repeat(2_001),
        "x".repeat(5_001),
        "Ünïcødé ✓ 日本語 🎉".to_owned(),
        "🎉".repeat(300),
        // PostgreSQL can neither store nor compare NUL.
        "\u{0}".to_owned(),
        "a\u{0}b".to_owned(),
        "EUR\u{0}".to_owned(),
        "key-\u{0}-1234".to_owned(),
        "\t\n\r\u{7}\u{1b}\u{7f}".to_owned(),
        "\u{202e}\u{feff}\u{10ffff}".to_owned(),
        "%_\\".to_owned(),
        "%".to_owned(),
        "_".to_owned(),
        "\\".to_owned(),
        "' OR '1'='1".to_owned(),
        "'; DROP TABLE users; --".to_owned(),
        "\" $x { }".to_owned(),
        "null".to_owned(),
        "-1".to_owned(),
        "eur".to_owned(),
        "€€€".to_owned(),
        "ABC-123".to_owned(),
        "someone@example.com".to_owned(),
        "SOMEONE@EXAMPLE.COM".to_owned(),
        "a@b".to_owned(),
    ];
    select(odd)
}

/// Ids that exist, random UUIDs, malformed ones and numbers.
fn id(known: &Known, wild: bool) -> BoxedStrategy<Input> {
    let first = known.ids[0].clone();
    let malformed = vec![
        String::new(),
        "not-an-id".to_owned(),
        "00000000-0000-0000-0000-000000000000".to_owned(),
        first.to_uppercase(),
        format!("{{{first}}}"),
        format!("urn:uuid:{first}"),
        first.replace('-', ""),
        format!(" {first}"),
        format!("{first}0"),
        first[..35].to_owned(),
        "1".to_owned(),
        "' OR 1=1 --".to_owned(),
        "x".repeat(20_000),
    ];
    let ids = prop_oneof![
        5 => select(known.ids.clone()),
        2 => any::<u128>().prop_map(|n| Uuid::from_u128(n).to_string()),
        1 => select(malformed),
    ]
    .prop_map(Input::Str);
    if !wild {
        return ids.boxed();
    }
    prop_oneof![5 => ids, 1 => int(false)].boxed()
}

fn date_time() -> BoxedStrategy<Input> {
    let values = [
        "2024-02-29T12:00:00Z",
        "1970-01-01T00:00:00+00:00",
        "9999-12-31T23:59:59Z",
        "2024-13-45T99:99:99Z",
        "yesterday",
        "",
    ];
    select(values.to_vec())
        .prop_map(|s| Input::Str(s.to_owned()))
        .boxed()
}

/// A value of another kind than the one expected.
fn wrong_kind() -> BoxedStrategy<Input> {
    select(vec![
        Input::Bool(true),
        Input::Int(7),
        Input::Str("7".to_owned()),
        Input::Float(1.5),
        Input::Enum("BOGUS".to_owned()),
        Input::List(vec![Input::Int(1)]),
        Input::Object(vec![("a".to_owned(), Input::Int(1))]),
    ])
    .boxed()
}

/// A GraphQL request: the document and its variables.
struct Operation {
    query: String,
    variables: Value,
}

impl Operation {
    fn new(root: &RootField, case: &Case) -> Self {
        let mut declarations = Vec::new();
        let mut arguments = Vec::new();
        let mut variables = Map::new();
        for ((name, ty), argument) in root.arguments.iter().zip(&case.arguments) {
            match argument {
                Argument::Absent => continue,
                Argument::Inline(value) => {
                    arguments.push(format!("{name}: {}", value.literal()));
                    continue;
                }
                Argument::Variable(value) => {
                    variables.insert(name.clone(), value.json());
                }
                Argument::Unset => {}
            }
            declarations.push(format!("${name}: {ty}"));
            arguments.push(format!("{name}: ${name}"));
        }
        let query = format!(
            "{} AnyInput{} {{ {}{} {} }}",
            root.operation,
            parenthesized(&declarations),
            root.name,
            parenthesized(&arguments),
            root.selection
        );
        Self {
            query,
            variables: Value::Object(variables),
        }
    }
}

fn parenthesized(items: &[String]) -> String {
    if items.is_empty() {
        String::new()
    } else {
        format!("({})", items.join(", "))
    }
}

/// The signed-in users the cases run as. Mutations may demote or sign them
/// out, so each is checked before use and replaced by a new user when it
/// no longer is what it was (a new one: cached entities of the old one
/// would outlive a promotion made behind the server's back).
struct Viewers {
    customer: Session,
    admin: Session,
    made: u32,
}

impl Viewers {
    async fn sign_in(app: &TestApp) -> Self {
        Self {
            customer: app
                .user_with_role("any-input-customer@example.com", Role::Customer)
                .await,
            admin: app
                .user_with_role("any-input-admin@example.com", Role::Admin)
                .await,
            made: 0,
        }
    }

    async fn token(&mut self, app: &TestApp, viewer: Viewer) -> Option<String> {
        let (session, role, name) = match viewer {
            Viewer::Anonymous => return None,
            Viewer::BadToken => return Some("not-a-token".to_owned()),
            Viewer::Customer => (&mut self.customer, Role::Customer, "CUSTOMER"),
            Viewer::Admin => (&mut self.admin, Role::Admin, "ADMIN"),
        };
        let body = app
            .send(
                Some(&session.access_token),
                &[],
                "{ viewer { role } }",
                Value::Null,
            )
            .await
            .json();
        if body["data"]["viewer"]["role"] != name {
            self.made += 1;
            let email = format!(
                "any-input-{}-{}@example.com",
                name.to_lowercase(),
                self.made
            );
            *session = app.user_with_role(&email, role).await;
        }
        Some(session.access_token.clone())
    }
}

struct Run<'a> {
    app: &'a TestApp,
    schema: &'a Schema,
    viewers: Mutex<Viewers>,
    /// How many runs had each first error code ("none" without errors).
    outcomes: RefCell<BTreeMap<String, u32>>,
}

impl Run<'_> {
    async fn check(&self, case: &Case) -> Result<(), TestCaseError> {
        let operation = Operation::new(&self.schema.roots[case.field], case);
        let token = self.viewers.lock().await.token(self.app, case.viewer).await;
        let response = self
            .app
            .send(
                token.as_deref(),
                &[],
                &operation.query,
                operation.variables.clone(),
            )
            .await;
        self.tally(&response);
        match internal_error(&response) {
            None => Ok(()),
            Some(what) => Err(TestCaseError::fail(format!(
                "{what}\nviewer: {:?}\noperation: {}\nvariables: {}\nresponse: HTTP {} {}",
                case.viewer,
                operation.query,
                operation.variables,
                response.status,
                String::from_utf8_lossy(&response.body)
            ))),
        }
    }

    fn tally(&self, response: &TestResponse) {
        let body: Value = serde_json::from_slice(&response.body).unwrap_or_default();
        let code = body["errors"][0]["extensions"]["code"].as_str();
        let code = code.unwrap_or("none").to_owned();
        *self.outcomes.borrow_mut().entry(code).or_default() += 1;
    }
}

/// What in `response` is an internal error, if anything.
fn internal_error(response: &TestResponse) -> Option<&'static str> {
    if response.status.is_server_error() && response.status != StatusCode::SERVICE_UNAVAILABLE {
        return Some("HTTP server error");
    }
    let body: Value = serde_json::from_slice(&response.body).unwrap_or_default();
    let errors = body["errors"].as_array().into_iter().flatten();
    errors
        .into_iter()
        .any(|e| e["extensions"]["code"] == "INTERNAL_SERVER_ERROR")
        .then_some("INTERNAL_SERVER_ERROR")
}
