import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';

const PetSchema = z
  .object({
    id: z.number().int().openapi({ example: 1 }),
    name: z.string().openapi({ example: 'Rex' }),
    tag: z.string().optional().openapi({ description: 'A free-form category such as dog or cat', example: 'dog' }),
  })
  .openapi('Pet');

const NewPetSchema = z
  .object({
    name: z.string().min(1).max(100).openapi({ example: 'Tom' }),
    tag: z.string().min(1).max(50).optional().openapi({ example: 'cat' }),
  })
  .openapi('NewPet');

const ErrorSchema = z.object({ message: z.string() }).openapi('Error');

const PetIdParamSchema = z.object({
  petId: z.coerce.number().int().min(1).openapi({ param: { name: 'petId', in: 'path' }, description: 'The pet id', example: 1 }),
});

/** A pet in the store. */
export type Pet = z.infer<typeof PetSchema>;

const notFound = { description: 'No pet with this id', content: { 'application/json': { schema: ErrorSchema } } };

const listPets = createRoute({
  method: 'get',
  path: '/pets',
  operationId: 'listPets',
  tags: ['pets'],
  summary: 'List pets',
  description: 'Pets in id order, optionally only those with a tag.',
  request: {
    query: z.object({
      limit: z.coerce.number().int().min(1).max(100).optional().openapi({ description: 'At most this many pets (1-100)', example: 10 }),
      tag: z.string().optional().openapi({ description: 'Only pets with this tag', example: 'dog' }),
    }),
  },
  responses: { 200: { description: 'The pets', content: { 'application/json': { schema: z.array(PetSchema) } } } },
});

const getPet = createRoute({
  method: 'get',
  path: '/pets/{petId}',
  operationId: 'getPet',
  tags: ['pets'],
  summary: 'Get a pet',
  request: { params: PetIdParamSchema },
  responses: { 200: { description: 'The pet', content: { 'application/json': { schema: PetSchema } } }, 404: notFound },
});

const createPet = createRoute({
  method: 'post',
  path: '/pets',
  operationId: 'createPet',
  tags: ['pets', 'admin'],
  summary: 'Add a pet',
  request: { body: { required: true, description: 'The new pet', content: { 'application/json': { schema: NewPetSchema } } } },
  responses: { 201: { description: 'The pet, with its id', content: { 'application/json': { schema: PetSchema } } } },
});

const deletePet = createRoute({
  method: 'delete',
  path: '/pets/{petId}',
  operationId: 'deletePet',
  tags: ['pets', 'admin'],
  summary: 'Remove a pet',
  request: { params: PetIdParamSchema },
  responses: { 204: { description: 'Removed' }, 404: notFound },
});

/** The example's three starting pets. */
export const SAMPLE_PETS: readonly Pet[] = [
  { id: 1, name: 'Rex', tag: 'dog' },
  { id: 2, name: 'Tom', tag: 'cat' },
  { id: 3, name: 'Nemo' },
];

/**
 * A small pet store REST API with its OpenAPI 3.1 document at `/openapi.json`: the upstream the README
 * turns into a connector. Data lives in memory, per app.
 */
export function createPetstoreApp(options: { pets?: readonly Pet[] } = {}): OpenAPIHono {
  const pets = new Map((options.pets ?? SAMPLE_PETS).map((pet) => [pet.id, { ...pet }]));
  let nextId = Math.max(0, ...pets.keys()) + 1;
  const app = new OpenAPIHono({
    defaultHook: (result, c) => (result.success ? undefined : c.json({ message: `Invalid request: ${result.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}` }, 400)),
  });

  app.openapi(listPets, (c) => {
    const { limit, tag } = c.req.valid('query');
    const all = [...pets.values()].filter((pet) => tag === undefined || pet.tag === tag);
    return c.json(all.slice(0, limit ?? all.length), 200);
  });
  app.openapi(getPet, (c) => {
    const pet = pets.get(c.req.valid('param').petId);
    return pet ? c.json(pet, 200) : c.json({ message: 'No pet with this id' }, 404);
  });
  app.openapi(createPet, (c) => {
    const pet = { id: nextId++, ...c.req.valid('json') };
    pets.set(pet.id, pet);
    return c.json(pet, 201);
  });
  app.openapi(deletePet, (c) => {
    const { petId } = c.req.valid('param');
    if (!pets.delete(petId)) return c.json({ message: 'No pet with this id' }, 404);
    return c.body(null, 204);
  });

  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'Petstore example', version: '1.0.0', description: 'The example upstream shipped with tenant-mcp: list, get, add and remove pets.' },
    servers: [{ url: 'http://127.0.0.1:4010', description: 'npm run example:petstore' }],
    tags: [{ name: 'pets', description: 'Reading and changing pets' }, { name: 'admin', description: 'Operations that change the store' }],
  });
  return app;
}
