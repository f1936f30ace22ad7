// A customer's journey over GraphQL over SSE with the graphql-sse client:
// sign up and in, read the catalog page, order, pay, and watch the order's
// status over a subscription (an event stream) until it ships; a
// subscription without a viewer is refused in its stream.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ExecutionResult } from 'graphql-sse';
import {
  CatalogPage,
  CreateProduct,
  Login,
  OrderStatusChanged,
  PayOrder,
  PlaceOrder,
  Register,
  ShipOrder,
} from '../src/operations';
import { createSseClient, type SseClient } from '../src/sse';
import { admin } from './server';
import { collect, password, serverPerSuite, subscribed, testDocumentsNamed, trustedModes, unique } from './support';

function data<T>(result: ExecutionResult<T>): T {
  assert.equal(result.errors, undefined, JSON.stringify(result.errors));
  assert.ok(result.data);
  return result.data;
}

for (const mode of trustedModes()) {
  describe(`graphql-sse, TRUSTED_DOCUMENTS=${mode}`, () => {
    const suite = serverPerSuite(mode);
    const connect = (session: { token?: string } = {}): SseClient => suite.track(createSseClient(suite.options(session)));
    const signIn = async (email: string, secret: string): Promise<SseClient> => {
      const session: { token?: string } = {};
      const client = connect(session);
      const { login } = data(await client.execute(Login, { input: { email, password: secret } }));
      session.token = login.accessToken;
      return client;
    };

    test('an order is placed, paid and shipped while its status streams', async () => {
      const staff = await signIn(admin.email, admin.password);
      const sku = unique('KETTLE').toUpperCase();
      const { createProduct: product } = data(
        await staff.execute(CreateProduct, {
          input: { sku, name: 'Kettle', priceCents: 3900, currency: 'EUR', stock: 4 },
        }),
      );

      const email = `${unique('sam')}@example.test`;
      const { register } = data(
        await connect().execute(Register, { input: { email, password, displayName: 'Sam' } }),
      );
      assert.equal(register.user.email, email);
      assert.equal(register.user.role, 'CUSTOMER');
      const customer = await signIn(email, password);

      const { products } = data(await connect().execute(CatalogPage, { first: 5, search: sku }));
      assert.deepEqual(
        products.edges.map((e) => [e.node.id, e.node.name, e.node.priceCents, e.node.stock, e.node.reviews.edges]),
        [[product.id, 'Kettle', 3900, 4, []]],
      );

      const { placeOrder: order } = data(
        await customer.execute(PlaceOrder, { input: { items: [{ productId: product.id, quantity: 1 }] } }),
      );
      assert.equal(order.status, 'PENDING');
      assert.equal(order.totalCents, 3900);

      const statuses = collect<string>((status) => status === 'SHIPPED');
      const stop = customer.subscribe(OrderStatusChanged, { orderId: order.id }, {
        next: (result) => {
          const { orderStatusChanged } = data(result);
          assert.equal(orderStatusChanged.id, order.id);
          statuses.push(orderStatusChanged.status);
        },
        error: (err) => statuses.error(err),
        complete: () => undefined,
      });
      await subscribed(suite.server);

      const { payOrder } = data(
        await customer.execute(PayOrder, { input: { orderId: order.id, idempotencyKey: unique('pay') } }),
      );
      assert.equal(payOrder.status, 'SUCCEEDED');
      const { shipOrder } = data(await staff.execute(ShipOrder, { id: order.id }));
      assert.equal(shipOrder.status, 'SHIPPED');
      assert.deepEqual(await statuses.done, ['PAID', 'SHIPPED']);
      stop();
    });

    test('a subscription without a viewer is refused in its stream', async () => {
      const refused = collect<string>(() => true);
      connect().subscribe(OrderStatusChanged, {}, {
        next: (result) => refused.push(String(result.errors?.[0]?.extensions?.code)),
        error: (err) => refused.error(err),
        complete: () => undefined,
      });
      assert.deepEqual(await refused.done, ['UNAUTHENTICATED']);
    });

    testDocumentsNamed(mode, suite);
  });
}
