// The operations this client is built with. GraphQL Code Generator types
// them (src/gql/) and lists them, hashed, in the trusted-documents manifest.
import { graphql } from './gql';

/** The catalog page: newest products with their latest reviews. */
export const CatalogPage = graphql(`
  query CatalogPage($first: Int, $after: String, $search: String, $reviews: Int = 3) {
    products(first: $first, after: $after, filter: { search: $search }) {
      edges {
        cursor
        node {
          id
          sku
          name
          priceCents
          currency
          stock
          averageRating
          reviews(first: $reviews) {
            edges {
              node {
                id
                rating
                body
                author {
                  id
                  displayName
                }
              }
            }
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export const Viewer = graphql(`
  query Viewer {
    viewer {
      id
      email
      displayName
      role
    }
  }
`);

export const Register = graphql(`
  mutation Register($input: RegisterInput!) {
    register(input: $input) {
      accessToken
      refreshToken
      expiresIn
      user {
        id
        email
        displayName
        role
      }
    }
  }
`);

export const Login = graphql(`
  mutation Login($input: LoginInput!) {
    login(input: $input) {
      accessToken
      refreshToken
      expiresIn
      user {
        id
        role
      }
    }
  }
`);

export const RefreshToken = graphql(`
  mutation RefreshToken($refreshToken: String!) {
    refreshToken(refreshToken: $refreshToken) {
      accessToken
      refreshToken
      expiresIn
    }
  }
`);

export const CreateProduct = graphql(`
  mutation CreateProduct($input: CreateProductInput!) {
    createProduct(input: $input) {
      id
      sku
      name
      priceCents
      currency
      stock
      active
    }
  }
`);

export const AddReview = graphql(`
  mutation AddReview($input: AddReviewInput!) {
    addReview(input: $input) {
      id
      rating
      body
      product {
        id
        averageRating
      }
    }
  }
`);

export const PlaceOrder = graphql(`
  mutation PlaceOrder($input: PlaceOrderInput!) {
    placeOrder(input: $input) {
      id
      status
      totalCents
      currency
      items {
        id
        quantity
        unitPriceCents
        product {
          id
          sku
          stock
        }
      }
    }
  }
`);

export const PayOrder = graphql(`
  mutation PayOrder($input: PayOrderInput!) {
    payOrder(input: $input) {
      id
      status
      amountCents
      order {
        id
        status
      }
    }
  }
`);

export const ShipOrder = graphql(`
  mutation ShipOrder($id: ID!) {
    shipOrder(id: $id) {
      id
      status
    }
  }
`);

export const OrderStatusChanged = graphql(`
  subscription OrderStatusChanged($orderId: ID) {
    orderStatusChanged(orderId: $orderId) {
      id
      status
      totalCents
    }
  }
`);
