import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { GraphQLSchema } from 'graphql';
import { createContext, createListServices, type GraphQLContext, type ListServices } from './context.js';
import type { ListSettings, UpstreamLimits } from './config.js';
import { useResponseNotes } from './graphql/notes.js';
import { maskError } from './graphql/errors.js';
import { createSchema } from './graphql/schema.js';
import type { Providers } from './providers/index.js';

/** What the gateway is built from; tests inject providers pointed at simulators. */
export interface GatewayOptions {
  providers: Providers;
  limits: Pick<UpstreamLimits, 'perRequestConcurrency'>;
  /** Cursor key and upstream list page cache settings. */
  lists: ListSettings;
  /** Prebuilt list services (tests share one to inspect or clear the page cache). */
  listServices?: ListServices;
  /** Show GraphiQL at GET /graphql. @default true */
  graphiql?: boolean;
  /** Pre-built schema (tests reuse one). */
  schema?: GraphQLSchema;
}

/** The gateway: a yoga instance usable as a Node request listener or through `.fetch`. */
export type Gateway = YogaServerInstance<Record<string, unknown>, GraphQLContext>;

/**
 * Creates the GraphQL gateway. Errors are masked except `GatewayError`s, which carry
 * `extensions.code`; `/health` answers liveness.
 */
export function createGateway(options: GatewayOptions): Gateway {
  const lists = options.listServices ?? createListServices(options.lists);
  return createYoga<Record<string, unknown>, GraphQLContext>({
    schema: options.schema ?? createSchema(),
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/health',
    landingPage: false,
    graphiql: options.graphiql === false ? false : { title: 'batchql', defaultQuery: DEFAULT_QUERY },
    maskedErrors: { maskError },
    logging: process.env.LOG_LEVEL === 'debug' ? 'debug' : 'warn',
    plugins: [useResponseNotes()],
    context: (initial) => ({ ...initial, ...createContext({ providers: options.providers, limits: options.limits, lists }) }),
  }) as Gateway;
}

const DEFAULT_QUERY = /* GraphQL */ `# Which providers are configured, and what can each do?
query Providers {
  providers { provider configured canList canCancel pagination }
}
`;
