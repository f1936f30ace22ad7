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
CURSOR=$(q "SELECT quote_literal(created_at::text) || ', ' || quote_literal(id::text) FROM orders ORDER BY created_at DESC, id DESC OFFSET 50 LIMIT 1")
AT=${CURSOR%%, *}; ID=${CURSOR##*, }

plans=(
  "products, newest first (products, product(id) lists)|SELECT * FROM products WHERE active = true ORDER BY created_at DESC, id DESC LIMIT 51"
  "products, cheapest first|SELECT * FROM products WHERE active = true ORDER BY price_cents ASC, id ASC LIMIT 51"
  "products, search|SELECT * FROM products WHERE active = true AND (LOWER(name) LIKE '%oak%' ESCAPE '\\' OR LOWER(sku) LIKE '%oak%' ESCAPE '\\') ORDER BY created_at DESC, id DESC LIMIT 21"
  "products by id (ProductLoader)|SELECT * FROM products WHERE id IN ($PRODUCTS)"
  "reviews of 50 products, 5 each (window)|SELECT ranked.* FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY product_id ORDER BY created_at DESC, id DESC) AS rn FROM reviews WHERE product_id IN ($PRODUCTS)) AS ranked WHERE ranked.rn <= 6 ORDER BY ranked.created_at DESC, ranked.id DESC"
  "average ratings|SELECT product_id, SUM(rating), COUNT(id) FROM reviews WHERE product_id IN ($PRODUCTS) GROUP BY product_id"
  "users by id (UserLoader)|SELECT * FROM users WHERE id IN ($USERS)"
  "orders, newest first (STAFF)|SELECT * FROM orders ORDER BY created_at DESC, id DESC LIMIT 51"
  "orders, newest first, with their customers (users not cached)|SELECT orders.*, users.id, users.email, users.display_name, users.role, users.created_at FROM orders INNER JOIN users ON orders.user_id = users.id ORDER BY orders.created_at DESC, orders.id DESC LIMIT 51"
  "orders, next page (keyset)|SELECT * FROM orders WHERE (created_at < $AT OR (created_at = $AT AND id < $ID)) ORDER BY created_at DESC, id DESC LIMIT 51"
  "orders of one customer|SELECT * FROM orders WHERE user_id = '$USER' ORDER BY created_at DESC, id DESC LIMIT 21"
  "orders of 50 users (User.orders window)|SELECT ranked.* FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY created_at DESC, id DESC) AS rn FROM orders WHERE user_id IN ($USERS)) AS ranked WHERE ranked.rn <= 21 ORDER BY ranked.created_at DESC, ranked.id DESC"
  "items of 50 orders|SELECT * FROM order_items WHERE order_id IN ($ORDERS) ORDER BY id"
  "items of 50 orders with their products (products not cached)|SELECT order_items.*, products.* FROM order_items INNER JOIN products ON order_items.product_id = products.id WHERE order_items.order_id IN ($ORDERS) ORDER BY order_items.id"
  "payments of 50 orders|SELECT * FROM payments WHERE order_id IN ($ORDERS) ORDER BY created_at, id"
  "reviews of 50 authors (User.reviews window)|SELECT ranked.* FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY author_id ORDER BY created_at DESC, id DESC) AS rn FROM reviews WHERE author_id IN ($USERS)) AS ranked WHERE ranked.rn <= 21 ORDER BY ranked.created_at DESC, ranked.id DESC"
  "users, newest first (ADMIN)|SELECT * FROM users ORDER BY created_at DESC, id DESC LIMIT 21"
  "session check (once per session and second)|SELECT s.*, u.* FROM sessions s LEFT JOIN users u ON s.user_id = u.id WHERE s.family_id = '$USER' AND s.revoked_at IS NULL AND s.expires_at > now() LIMIT 1"
)

{
  echo "# Query plans"
  echo
  echo "EXPLAIN (ANALYZE, BUFFERS off) of the SQL behind every list the API serves, on the"
  echo "large benchmark dataset (PostgreSQL $(q 'SHOW server_version'), $(date -u +%Y-%m-%d))."
  echo "Regenerate with \`bash bench/plans.sh\` after \`python3 bench/bench.py\`."
  for entry in "${plans[@]}"; do
    title=${entry%%|*}; sql=${entry#*|}
    echo
    echo "## $title"
    echo
    echo '```'
    psql "$DB" -At -c "EXPLAIN (ANALYZE, COSTS off, TIMING off, SUMMARY off) $sql"
    echo '```'
  done
} > plans.md
echo "wrote bench/plans.md"
