//! The deterministic generator behind `tollgate seed`.

use chrono::{DateTime, Duration, TimeZone, Utc};
use entity::{order_items, orders, payments, products, reviews, users};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_orm::Set;
use uuid::{Builder, Uuid};

/// How much data to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Size {
    /// A small catalog to explore: 60 products, 20 users, reviews and a few orders.
    Demo,
    /// The benchmark dataset: 1,000 users, 500 products, 10,000 orders,
    /// 30,000 order items and 5,000 reviews.
    Large,
}

struct Shape {
    users: usize,
    products: usize,
    orders: usize,
    items_per_order: usize,
    /// Inclusive range of reviews per product.
    reviews_per_product: (usize, usize),
}

impl Size {
    fn shape(self) -> Shape {
        match self {
            Self::Demo => Shape {
                users: 20,
                products: 60,
                orders: 60,
                items_per_order: 2,
                reviews_per_product: (0, 6),
            },
            Self::Large => Shape {
                users: 1_000,
                products: 500,
                orders: 10_000,
                items_per_order: 3,
                reviews_per_product: (10, 10),
            },
        }
    }
}

/// Generated rows, ready to insert.
pub struct Dataset {
    pub users: Vec<users::ActiveModel>,
    pub products: Vec<products::ActiveModel>,
    pub orders: Vec<orders::ActiveModel>,
    pub order_items: Vec<order_items::ActiveModel>,
    pub payments: Vec<payments::ActiveModel>,
    pub reviews: Vec<reviews::ActiveModel>,
}

const ADJECTIVES: &[&str] = &[
    "Alpine", "Brass", "Cedar", "Copper", "Daily", "Field", "Granite", "Harbor", "Indigo",
    "Juniper", "Linen", "Marble", "Nordic", "Oak", "Pebble", "Quartz", "Rustic", "Slate", "Timber",
    "Velvet",
];
const NOUNS: &[&str] = &[
    "Backpack",
    "Bottle",
    "Candle",
    "Chair",
    "Desk Lamp",
    "Headphones",
    "Journal",
    "Kettle",
    "Lantern",
    "Mug",
    "Notebook",
    "Pillow",
    "Planter",
    "Scarf",
    "Sneakers",
    "Teapot",
    "Throw",
    "Tote",
    "Wallet",
    "Watch",
];
const FIRST_NAMES: &[&str] = &[
    "Ada", "Ben", "Chloe", "Dev", "Elif", "Farah", "Goran", "Hana", "Ivo", "Jun", "Kofi", "Lena",
    "Mateo", "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq",
];
const REVIEW_BODIES: &[&str] = &[
    "Exactly as described, would buy again.",
    "Solid build quality for the price.",
    "Took a while to arrive but worth the wait.",
    "Not quite what I expected; the colour is darker.",
    "My second one: still my favourite.",
    "Good, though the packaging could be lighter.",
    "Does the job. Nothing more, nothing less.",
    "A thoughtful design with small, lovely details.",
];

/// A generator whose every draw depends only on the seed.
struct Gen {
    rng: ChaCha8Rng,
    base: DateTime<Utc>,
}

impl Gen {
    /// A UUIDv7 for the instant `at`, its random bits drawn from the seed.
    fn id(&mut self, at: DateTime<Utc>) -> Uuid {
        let mut random = [0u8; 10];
        self.rng.fill(&mut random);
        Builder::from_unix_timestamp_millis(at.timestamp_millis() as u64, &random).into_uuid()
    }

    fn at(&self, minutes: i64) -> DateTime<Utc> {
        self.base + Duration::minutes(minutes)
    }
}

impl Dataset {
    /// What the dataset holds, in words.
    pub fn summary(&self) -> String {
        format!(
            "{} users, {} products, {} orders, {} order items, {} reviews",
            self.users.len(),
            self.products.len(),
            self.orders.len(),
            self.order_items.len(),
            self.reviews.len()
        )
    }

    pub fn generate(size: Size, password_hash: &str) -> Self {
        let shape = size.shape();
        let base = Utc
            .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or_default();
        let mut g = Gen {
            rng: ChaCha8Rng::seed_from_u64(0x7011_6a7e),
            base,
        };
        let users = users(&mut g, shape.users, password_hash);
        let products = products(&mut g, shape.products);
        let reviews = reviews(&mut g, &products, &users, shape.reviews_per_product);
        let (orders, order_items, payments) = orders(
            &mut g,
            &users,
            &products,
            shape.orders,
            shape.items_per_order,
        );
        Self {
            users,
            products,
            orders,
            order_items,
            payments,
            reviews,
        }
    }
}

fn users(g: &mut Gen, count: usize, password_hash: &str) -> Vec<users::ActiveModel> {
    (0..count)
        .map(|i| {
            let at = g.at(i as i64);
            let first = FIRST_NAMES[i % FIRST_NAMES.len()];
            users::ActiveModel {
                id: Set(g.id(at)),
                email: Set(format!("shopper{i}@example.com")),
                password_hash: Set(password_hash.to_owned()),
                display_name: Set(format!("{first} {}", i / FIRST_NAMES.len() + 1)),
                role: Set(users::Role::Customer),
                created_at: Set(at),
                updated_at: Set(at),
            }
        })
        .collect()
}

fn products(g: &mut Gen, count: usize) -> Vec<products::ActiveModel> {
    (0..count)
        .map(|i| {
            let at = g.at(10_000 + i as i64);
            let adjective = ADJECTIVES[i % ADJECTIVES.len()];
            let noun = NOUNS[(i / ADJECTIVES.len() + i) % NOUNS.len()];
            let name = format!("{adjective} {noun}");
            products::ActiveModel {
                id: Set(g.id(at)),
                sku: Set(format!("TG-{i:04}")),
                description: Set(format!(
                    "The {name}: made to last, chosen for everyday use."
                )),
                name: Set(name),
                price_cents: Set(g.rng.random_range(199..=49_999)),
                currency: Set("EUR".to_owned()),
                stock: Set(g.rng.random_range(0..=250)),
                // Every fifteenth product is withdrawn from sale.
                active: Set(i % 15 != 14),
                created_at: Set(at),
                updated_at: Set(at),
            }
        })
        .collect()
}

fn reviews(
    g: &mut Gen,
    products: &[products::ActiveModel],
    users: &[users::ActiveModel],
    (min, max): (usize, usize),
) -> Vec<reviews::ActiveModel> {
    let mut out = Vec::new();
    for (p, product) in products.iter().enumerate() {
        let count = g.rng.random_range(min..=max).min(users.len());
        // Distinct authors: consecutive users from a random start.
        let start = g.rng.random_range(0..users.len());
        for r in 0..count {
            let author = &users[(start + r) % users.len()];
            let at = g.at(20_000 + (p * max.max(1) + r) as i64);
            out.push(reviews::ActiveModel {
                id: Set(g.id(at)),
                product_id: product.id.clone(),
                author_id: author.id.clone(),
                rating: Set(g.rng.random_range(1..=5)),
                body: Set(REVIEW_BODIES[g.rng.random_range(0..REVIEW_BODIES.len())].to_owned()),
                created_at: Set(at),
                author_name: author.display_name.clone(),
            });
        }
    }
    out
}

type Orders = (
    Vec<orders::ActiveModel>,
    Vec<order_items::ActiveModel>,
    Vec<payments::ActiveModel>,
);

fn orders(
    g: &mut Gen,
    users: &[users::ActiveModel],
    products: &[products::ActiveModel],
    count: usize,
    items_per_order: usize,
) -> Orders {
    use orders::OrderStatus as S;
    const STATUSES: [S; 4] = [S::Pending, S::Paid, S::Shipped, S::Cancelled];
    let (mut orders, mut items, mut payments) = (Vec::new(), Vec::new(), Vec::new());
    for o in 0..count {
        let at = g.at(100_000 + o as i64);
        let order_id = g.id(at);
        let user = &users[g.rng.random_range(0..users.len())];
        let start = g.rng.random_range(0..products.len());
        let mut total = 0_i64;
        for k in 0..items_per_order.min(products.len()) {
            let product = &products[(start + k) % products.len()];
            let unit_price = *product.price_cents.as_ref();
            let quantity = g.rng.random_range(1..=3);
            total += unit_price * i64::from(quantity);
            items.push(order_items::ActiveModel {
                id: Set(g.id(at)),
                order_id: Set(order_id),
                product_id: product.id.clone(),
                quantity: Set(quantity),
                unit_price_cents: Set(unit_price),
            });
        }
        let status = STATUSES[g.rng.random_range(0..STATUSES.len())];
        if matches!(status, S::Paid | S::Shipped) {
            payments.push(payments::ActiveModel {
                id: Set(g.id(at)),
                order_id: Set(order_id),
                amount_cents: Set(total),
                status: Set(payments::PaymentStatus::Succeeded),
                idempotency_key: Set(format!("seed-{o}")),
                created_at: Set(at),
            });
        }
        orders.push(orders::ActiveModel {
            id: Set(order_id),
            user_id: user.id.clone(),
            status: Set(status),
            total_cents: Set(total),
            currency: Set("EUR".to_owned()),
            created_at: Set(at),
            updated_at: Set(at),
        });
    }
    (orders, items, payments)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_large_dataset_has_the_benchmark_counts() {
        let data = Dataset::generate(Size::Large, "hash");
        assert_eq!(data.users.len(), 1_000);
        assert_eq!(data.products.len(), 500);
        assert_eq!(data.orders.len(), 10_000);
        assert_eq!(data.order_items.len(), 30_000);
        assert_eq!(data.reviews.len(), 5_000);
    }

    #[test]
    fn generation_is_deterministic() {
        let a = Dataset::generate(Size::Demo, "hash");
        let b = Dataset::generate(Size::Demo, "hash");
        assert_eq!(a.products.len(), 60);
        assert_eq!(a.products[7].id, b.products[7].id);
        assert_eq!(a.reviews.len(), b.reviews.len());
        assert_eq!(
            a.reviews.last().map(|r| r.id.clone()),
            b.reviews.last().map(|r| r.id.clone())
        );
    }
}
