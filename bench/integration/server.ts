/**
 * One yoga instance with a small schema, served through yoga's node:http integration or through its
 * Fastify integration (argv[2]: `node` or `fastify`), or no GraphQL at all (`raw`); prints its port.
 * Run by `bench/integration/main.ts`.
 */
import { createServer } from 'node:http';
import { createSchema, createYoga } from 'graphql-yoga';
import Fastify from 'fastify';

const schema = createSchema({
  typeDefs: /* GraphQL */ `
    type Batch {
      id: ID!
      status: String!
      percent: Float
      createdAt: String
    }
    type Query {
      batch(id: ID!): Batch
    }
  `,
  resolvers: {
    Query: {
      batch: async (_: unknown, { id }: { id: string }) => ({
        id,
        status: 'RUNNING',
        percent: 42.5,
        createdAt: '2026-12-03T00:00:00Z',
      }),
    },
  },
});
const mode = process.argv[2];
if (mode === 'node-als') {
  // What batchql's AsyncLocalStorage use switches on in Node 20: promise hooks on every promise.
  const { AsyncLocalStorage } = await import('node:async_hooks');
  const als = new AsyncLocalStorage<number>();
  als.enterWith(1);
}

if (mode === 'fastify') {
  const app = Fastify({ logger: false });
  const yoga = createYoga({ schema, logging: false });
  // As yoga's Fastify guide: yoga parses the body itself, so Fastify's own parser is bypassed.
  app.addContentTypeParser('application/json', {}, (_req, _payload, done) => done(null));
  app.route({
    url: yoga.graphqlEndpoint,
    method: ['GET', 'POST', 'OPTIONS'],
    handler: (req, reply) => yoga.handleNodeRequestAndResponse(req, reply),
  });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  console.log(JSON.stringify({ port: Number(new URL(address).port) }));
} else if (mode === 'raw') {
  // No GraphQL at all: node:http reading the JSON body and answering the same result, the floor.
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const { variables } = JSON.parse(body) as { variables: { id: string } };
      const result = {
        data: { batch: { id: variables.id, status: 'RUNNING', percent: 42.5, createdAt: '2026-12-03T00:00:00Z' } },
      };
      res.writeHead(200, { 'content-type': 'application/graphql-response+json; charset=utf-8' });
      res.end(JSON.stringify(result));
    });
  });
  server.listen(0, '127.0.0.1', () => {
    const a = server.address();
    console.log(JSON.stringify({ port: typeof a === 'object' && a ? a.port : 0 }));
  });
} else {
  const yoga = createYoga({ schema, logging: false });
  const server = createServer(yoga);
  server.listen(0, '127.0.0.1', () => {
    const a = server.address();
    console.log(JSON.stringify({ port: typeof a === 'object' && a ? a.port : 0 }));
  });
}
