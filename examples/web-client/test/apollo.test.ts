// A shopper's journey with Apollo Client: sign in, read the catalog page
// (reviews included), order and pay, and see the order shipped through a
// subscription over graphql-ws.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ApolloClient } from '@apollo/client';
import { createApolloClient } from '../src/apollo';
import {
  AddReview,
  CatalogPage,
  CreateProduct,
  Login,
  OrderStatusChanged,
  PayOrder,
  PlaceOrder,
  Register,
  ShipOrder,
} from '../src/operations';
import { admin } from './server';
import { collect, password, serverPerSuite, subscribed, testDocumentsNamed, trustedModes, unique } from './support';

for (const mode of trustedModes()) {
  describe(`Apollo Client, TRUSTED_DOCUMENTS=${mode}`, () => {
    const suite = serverPerSuite(mode);
    const connect = (session: { token?: string } = {}): ApolloClient =>
      suite.track(createApolloClient(suite.options(session))).client;
    const signIn = async (email: string, secret: string): Promise<ApolloClient> => {
      const session: { token?: string } = {};
      const client = connect(session);
      const { data } = await client.mutate({ mutation: Login, variables: { input: { email, password: secret } } });
      assert.ok(data);
      session.token = data.login.accessToken;
      return client;
    };

    test('a signed-in shopper orders from the catalog page and sees the order shipped', async () => {
      const staff = await signIn(admin.email, admin.password);
      const sku = unique('KETTLE').toUpperCase();
      const created = await staff.mutate({
        mutation: CreateProduct,
        variables: { input: { sku, name: 'Kettle', description: 'Boils water', priceCents: 3999, currency: 'USD', stock: 10 } },
      });
      const product = created.data?.createProduct;
      assert.ok(product);

      const email = `${unique('joan')}@example.test`;
      const registered = await connect().mutate({
        mutation: Register,
        variables: { input: { email, password, displayName: 'Joan' } },
      });
      assert.equal(registered.data?.register.user.displayName, 'Joan');
      const shopper = await signIn(email, password);

      const review = await shopper.mutate({
        mutation: AddReview,
        variables: { input: { productId: product.id, rating: 3, body: 'Loud but quick' } },
      });
      assert.equal(review.data?.addReview.product.averageRating, 3);

      const page = await shopper.query({ query: CatalogPage, variables: { first: 5, search: sku }, fetchPolicy: 'network-only' });
      assert.ok(page.data);
      const [edge] = page.data.products.edges;
      assert.equal(page.data.products.edges.length, 1);
      assert.equal(edge?.node.id, product.id);
      assert.equal(edge?.node.priceCents, 3999);
      assert.equal(edge?.node.averageRating, 3);
      assert.deepEqual(
        edge?.node.reviews.edges.map((e) => [e.node.author.displayName, e.node.rating, e.node.body]),
        [['Joan', 3, 'Loud but quick']],
      );

      const placed = await shopper.mutate({
        mutation: PlaceOrder,
        variables: { input: { items: [{ productId: product.id, quantity: 3 }] } },
      });
      const order = placed.data?.placeOrder;
      assert.ok(order);
      assert.equal(order.status, 'PENDING');
      assert.equal(order.totalCents, 11997);
      assert.equal(order.currency, 'USD');
      assert.equal(order.items[0]?.product.stock, 7);

      const statuses = collect<string>((status) => status === 'SHIPPED');
      const watching = shopper.subscribe({ query: OrderStatusChanged, variables: { orderId: order.id } }).subscribe({
        next: ({ data, error }) => {
          if (error) return statuses.error(error);
          assert.equal(data?.orderStatusChanged.id, order.id);
          statuses.push(data?.orderStatusChanged.status ?? 'none');
        },
        error: (err) => statuses.error(err),
      });
      await subscribed(suite.server);

      const paid = await shopper.mutate({
        mutation: PayOrder,
        variables: { input: { orderId: order.id, idempotencyKey: unique('pay') } },
      });
      assert.equal(paid.data?.payOrder.status, 'SUCCEEDED');
      assert.equal(paid.data?.payOrder.order.status, 'PAID');

      const shipped = await staff.mutate({ mutation: ShipOrder, variables: { id: order.id } });
      assert.equal(shipped.data?.shipOrder.status, 'SHIPPED');

      assert.deepEqual(await statuses.done, ['PAID', 'SHIPPED']);
      watching.unsubscribe();
    });

    testDocumentsNamed(mode, suite);
  });
}
