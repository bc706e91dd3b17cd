/** The items of every page, fetched one page at a time as the loop asks for more. */
export async function* paginate<Item extends { id: string }>(
  page: (startingAfter: string | undefined) => Promise<{ data: Item[]; hasMore: boolean }>,
): AsyncGenerator<Item, void, undefined> {
  let startingAfter: string | undefined;
  for (;;) {
    const { data, hasMore } = await page(startingAfter);
    yield* data;
    const last = data.at(-1);
    if (!hasMore || last === undefined) return;
    startingAfter = last.id;
  }
}

/**
 * The same for the item lists of a run, whose pages name the next one's cursor (`next`, a number;
 * null at the end). `next` is read as unknown: the document types it as an object on one of them.
 */
export async function* paginateByCursor<Item>(
  page: (after: number | undefined) => Promise<{ data: Item[]; next: unknown }>,
): AsyncGenerator<Item, void, undefined> {
  let after: number | undefined;
  for (;;) {
    const { data, next } = await page(after);
    yield* data;
    if (typeof next !== 'number' || data.length === 0) return;
    after = next;
  }
}

/** One-page lists (every item in one answer) read as the paged ones are, with `for await`. */
export async function* itemsOf<Item>(
  page: () => Promise<{ data: Item[] }>,
): AsyncGenerator<Item, void, undefined> {
  yield* (await page()).data;
}
