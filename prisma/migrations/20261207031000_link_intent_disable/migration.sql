-- A migration's cutover disables the source copy through the outbox, like every other provider
-- write: a link intent of its own, delivered (with retries and the call audit) by the sync worker.
ALTER TYPE "LinkIntent" ADD VALUE 'disable';
