// A customer's journey with urql and graphql-ws: sign up, sign in, refresh,
// read the catalog page with reviews, order, pay, and watch the order's
// status over a subscription until an administrator ships it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AnyVariables, Client, OperationResult } from '@urql/core';
import {
  AddReview,
  CatalogPage,
  CreateProduct,
  Login,
  OrderStatusChanged,
  PayOrder,
  PlaceOrder,
  RefreshToken,
  Register,
  ShipOrder,
  Viewer,
} from '../src/operations';
import { createUrqlClient } from '../src/urql';
import { admin } from './server';
import { collect, password, serverPerSuite, subscribed, testDocumentsNamed, trustedModes, unique } from './support';

function data<T>(result: OperationResult<T, AnyVariables>): T {
  assert.equal(result.error, undefined, result.error?.message);
  assert.ok(result.data);
  return result.data;
}

for (const mode of trustedModes()) {
  describe(`urql + graphql-ws, TRUSTED_DOCUMENTS=${mode}`, () => {
    const suite = serverPerSuite(mode);
    /** A client signed in with whatever token `session` holds. */
    const connect = (session: { token?: string } = {}): Client =>
      suite.track(createUrqlClient(suite.options(session))).client;
    const signIn = async (email: string, secret: string): Promise<Client> => {
      const session: { token?: string } = {};
      const client = connect(session);
      const { login } = data(await client.mutation(Login, { input: { email, password: secret } }));
      session.token = login.accessToken;
      return client;
    };

    test('register, log in and refresh the tokens', async () => {
      const email = `${unique('ada')}@example.test`;
      const session: { token?: string } = {};
      const client = connect(session);

      const { register } = data(
        await client.mutation(Register, { input: { email, password, displayName: 'Ada' } }),
      );
      assert.equal(register.user.email, email);
      assert.equal(register.user.role, 'CUSTOMER');
      assert.equal(register.expiresIn, 900);

      session.token = register.accessToken;
      const { viewer } = data(await client.query(Viewer, {}, { requestPolicy: 'network-only' }).toPromise());
      assert.deepEqual(viewer, { __typename: 'User', id: register.user.id, email, displayName: 'Ada', role: 'CUSTOMER' });

      const { login } = data(await client.mutation(Login, { input: { email, password } }));
      assert.equal(login.user.id, register.user.id);

      const { refreshToken } = data(await client.mutation(RefreshToken, { refreshToken: login.refreshToken }));
      assert.notEqual(refreshToken.refreshToken, login.refreshToken);
      assert.equal(refreshToken.expiresIn, 900);
      // The refresh token was rotated: using it again is refused.
      const reused = await client.mutation(RefreshToken, { refreshToken: login.refreshToken });
      assert.equal(reused.error?.graphQLErrors[0]?.extensions.code, 'UNAUTHENTICATED');
    });

    test('the catalog page shows products with their reviews', async () => {
      const staff = await signIn(admin.email, admin.password);
      const sku = unique('LAMP').toUpperCase();
      const create = async (n: number, priceCents: number) => {
        const { createProduct } = data(
          await staff.mutation(CreateProduct, {
            input: { sku: `${sku}-${n}`, name: `Desk lamp ${n}`, priceCents, currency: 'EUR', stock: 5 },
          }),
        );
        assert.equal(createProduct.active, true);
        return createProduct;
      };
      const first = await create(1, 2500);
      await create(2, 4000);
      for (const [name, rating] of [['Grace', 5], ['Linus', 4]] as const) {
        const email = `${unique(name.toLowerCase())}@example.test`;
        const client = connect();
        data(await client.mutation(Register, { input: { email, password, displayName: name } }));
        const customer = await signIn(email, password);
        const { addReview } = data(
          await customer.mutation(AddReview, { input: { productId: first.id, rating, body: `${name} likes it` } }),
        );
        assert.equal(addReview.rating, rating);
      }

      const anonymous = connect();
      const { products } = data(await anonymous.query(CatalogPage, { first: 10, search: sku }).toPromise());
      const nodes = products.edges.map((e) => e.node);
      // Newest first.
      assert.deepEqual(
        nodes.map((p) => [p.sku, p.name, p.priceCents, p.currency, p.stock]),
        [
          [`${sku}-2`, 'Desk lamp 2', 4000, 'EUR', 5],
          [`${sku}-1`, 'Desk lamp 1', 2500, 'EUR', 5],
        ],
      );
      assert.equal(products.pageInfo.hasNextPage, false);
      const reviewed = nodes[1];
      assert.ok(reviewed);
      assert.equal(reviewed.averageRating, 4.5);
      assert.deepEqual(
        reviewed.reviews.edges.map((e) => [e.node.author.displayName, e.node.rating, e.node.body]),
        [
          ['Linus', 4, 'Linus likes it'],
          ['Grace', 5, 'Grace likes it'],
        ],
      );
      assert.equal(nodes[0]?.averageRating, null);
    });

    test('an order is placed, paid and shipped while its status is watched', async () => {
      const staff = await signIn(admin.email, admin.password);
      const { createProduct: product } = data(
        await staff.mutation(CreateProduct, {
          input: { sku: unique('MUG').toUpperCase(), name: 'Mug', priceCents: 1250, currency: 'EUR', stock: 3 },
        }),
      );
      const email = `${unique('eve')}@example.test`;
      data(await connect().mutation(Register, { input: { email, password, displayName: 'Eve' } }));
      const customer = await signIn(email, password);

      const { placeOrder: order } = data(
        await customer.mutation(PlaceOrder, { input: { items: [{ productId: product.id, quantity: 2 }] } }),
      );
      assert.equal(order.status, 'PENDING');
      assert.equal(order.totalCents, 2500);
      assert.deepEqual(
        order.items.map((i) => [i.product.id, i.quantity, i.unitPriceCents, i.product.stock]),
        [[product.id, 2, 1250, 1]],
      );

      const statuses = collect<string>((status) => status === 'SHIPPED');
      const watching = customer.subscription(OrderStatusChanged, { orderId: order.id }).subscribe((result) => {
        if (result.error) return statuses.error(result.error);
        assert.equal(result.data?.orderStatusChanged.id, order.id);
        statuses.push(result.data?.orderStatusChanged.status ?? 'none');
      });
      await subscribed(suite.server);

      const { payOrder } = data(
        await customer.mutation(PayOrder, { input: { orderId: order.id, idempotencyKey: unique('pay') } }),
      );
      assert.equal(payOrder.status, 'SUCCEEDED');
      assert.equal(payOrder.amountCents, 2500);
      assert.equal(payOrder.order.status, 'PAID');

      const { shipOrder } = data(await staff.mutation(ShipOrder, { id: order.id }));
      assert.equal(shipOrder.status, 'SHIPPED');

      assert.deepEqual(await statuses.done, ['PAID', 'SHIPPED']);
      watching.unsubscribe();
    });

    testDocumentsNamed(mode, suite);
  });
}
