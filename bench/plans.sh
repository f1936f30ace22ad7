#!/usr/bin/env bash
# EXPLAIN of every list query the API runs, on the benchmark database
# (python3 bench/bench.py seeds it). Writes bench/plans.md.
set -euo pipefail
cd "$(dirname "$0")"
DB="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/tollgate_bench}"
q() { psql "$DB" -At -c "$1"; }

PRODUCTS=$(q "SELECT string_agg(quote_literal(id::text) || '::uuid', ',') FROM (SELECT id FROM products WHERE active ORDER BY created_at DESC, id DESC LIMIT 50) p")
ORDERS=$(q "SELECT string_agg(quote_literal(id::text) || '::uuid', ',') FROM (SELECT id FROM orders ORDER BY created_at DESC, id DESC LIMIT 50) o")
USERS=$(q "SELECT string_agg(quote_literal(id::text) || '::uuid', ',') FROM (SELECT id FROM users ORDER BY id LIMIT 50) u")
USER=$(q "SELECT id FROM users ORDER BY id LIMIT 1")
# The same ids as one array, as PostgreSQL is sent them for pages per parent
# (db::window) and for the users loader (db::one_of).
arr() { echo "'{$(echo "$1" | sed "s/'//g; s/::uuid//g")}'::uuid[]"; }
PRODUCTS_ARR=$(arr "$PRODUCTS"); USERS_ARR=$(arr "$USERS")
AUTHORS_ARR=$(q "SELECT quote_literal(array_agg(DISTINCT r.author_id)::text) || '::uuid[]' FROM (SELECT id FROM products WHERE active ORDER BY created_at DESC, id DESC LIMIT 50) p CROSS JOIN LATERAL (SELECT author_id FROM reviews WHERE product_id = p.id ORDER BY created_at DESC, id DESC LIMIT 5) r")
# A page of each parent's children, as PostgreSQL is asked for it (db::window).
lateral() { echo "SELECT page.* FROM unnest($1) AS parent INNER JOIN LATERAL (SELECT * FROM $2 WHERE $2.$3 = parent.parent ORDER BY created_at DESC, id DESC LIMIT $4) AS page ON TRUE"; }
CURSOR=$(q "SELECT quote_literal(created_at::text) || ', ' || quote_literal(id::text) FROM orders ORDER BY created_at DESC, id DESC OFFSET 50 LIMIT 1")
AT=${CURSOR%%, *}; ID=${CURSOR##*, }

plans=(
  "products, newest first (Q2: no pageInfo asked, so no row past the page)|SELECT * FROM products WHERE active = true ORDER BY created_at DESC, id DESC LIMIT 50"
  "products, cheapest first|SELECT * FROM products WHERE active = true ORDER BY price_cents ASC, id ASC LIMIT 51"
  "products, search|SELECT * FROM products WHERE active = true AND (LOWER(name) LIKE '%oak%' ESCAPE '\\' OR LOWER(sku) LIKE '%oak%' ESCAPE '\\') ORDER BY created_at DESC, id DESC LIMIT 21"
  "products by id (ProductLoader)|SELECT * FROM products WHERE id IN ($PRODUCTS)"
  "reviews of 50 products, 5 each, naming their authors (Q2: no pageInfo asked, so no row past the page)|$(lateral "$PRODUCTS_ARR" reviews product_id 5)"
  "reviews of 50 products, 5 each and one past the page (pageInfo { hasNextPage } asked)|$(lateral "$PRODUCTS_ARR" reviews product_id 6)"
  "reviews of 50 products, 5 each: the window function SQLite is sent (and PostgreSQL was)|SELECT ranked.* FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY product_id ORDER BY created_at DESC, id DESC) AS rn FROM reviews WHERE product_id IN ($PRODUCTS)) AS ranked WHERE ranked.rn <= 6 ORDER BY ranked.created_at DESC, ranked.id DESC"
  "average ratings|SELECT product_id, SUM(rating), COUNT(id) FROM reviews WHERE product_id IN ($PRODUCTS) GROUP BY product_id"
  "users by id (UserLoader)|SELECT * FROM users WHERE id IN (SELECT unnest($USERS_ARR))"
  "authors of Q2's reviews, when more than their names is asked (UserLoader)|SELECT id, email, display_name, role, created_at FROM users WHERE id IN (SELECT unnest($AUTHORS_ARR))"
  "the same authors: the IN list SQLite is sent (and PostgreSQL was; a list of literals plans as = ANY)|SELECT id, email, display_name, role, created_at FROM users WHERE id = ANY($AUTHORS_ARR)"
  "orders, newest first (STAFF)|SELECT * FROM orders ORDER BY created_at DESC, id DESC LIMIT 51"
  "orders, newest first, with their customers (users not cached)|SELECT orders.*, users.id, users.email, users.display_name, users.role, users.created_at FROM orders INNER JOIN users ON orders.user_id = users.id ORDER BY orders.created_at DESC, orders.id DESC LIMIT 51"
  "orders, next page (keyset)|SELECT * FROM orders WHERE (created_at < $AT OR (created_at = $AT AND id < $ID)) ORDER BY created_at DESC, id DESC LIMIT 51"
  "orders of one customer|SELECT * FROM orders WHERE user_id = '$USER' ORDER BY created_at DESC, id DESC LIMIT 21"
  "orders of 50 users (User.orders)|$(lateral "$USERS_ARR" orders user_id 21)"
  "items of 50 orders (sorted by the server)|SELECT * FROM order_items WHERE order_id IN ($ORDERS)"
  "items of 50 orders with their products' summaries (Q1: products not cached, nothing beyond id, sku, name, priceCents and currency selected; sorted by the server)|SELECT order_items.*, products.sku, products.name, products.price_cents, products.currency FROM order_items INNER JOIN products ON order_items.product_id = products.id WHERE order_items.order_id IN ($ORDERS)"
  "items of 50 orders with their whole products (products not cached, more of them selected; sorted by the server)|SELECT order_items.*, products.* FROM order_items INNER JOIN products ON order_items.product_id = products.id WHERE order_items.order_id IN ($ORDERS)"
  "payments of 50 orders|SELECT * FROM payments WHERE order_id IN ($ORDERS) ORDER BY created_at, id"
  "reviews of 50 authors (User.reviews)|$(lateral "$USERS_ARR" reviews author_id 21)"
  "users, newest first (ADMIN)|SELECT * FROM users ORDER BY created_at DESC, id DESC LIMIT 21"
  "session check (once per session and second)|SELECT s.*, u.* FROM sessions s LEFT JOIN users u ON s.user_id = u.id WHERE s.family_id = '$USER' AND s.revoked_at IS NULL AND s.expires_at > now() LIMIT 1"
)

# The measured section at the end of plans.md (from its heading on) is kept.
KEPT=$(sed -n '/^## Per call: Q2 as the server sends it/,$p' plans.md 2>/dev/null || true)
{
  echo "# Query plans"
  echo
  echo "EXPLAIN (ANALYZE, BUFFERS) of the SQL behind every list the API serves, on the"
  echo "large benchmark dataset (PostgreSQL $(q 'SHOW server_version'), $(date -u +%Y-%m-%d))."
  echo "Regenerate with \`bash bench/plans.sh\` after \`python3 bench/bench.py\`."
  for entry in "${plans[@]}"; do
    title=${entry%%|*}; sql=${entry#*|}
    echo
    echo "## $title"
    echo
    echo '```'
    psql "$DB" -At -c "EXPLAIN (ANALYZE, BUFFERS, COSTS off, TIMING off, SUMMARY off) $sql"
    echo '```'
  done
  if [ -n "$KEPT" ]; then echo; echo "$KEPT"; fi
} > plans.md.new
mv plans.md.new plans.md
echo "wrote bench/plans.md"
