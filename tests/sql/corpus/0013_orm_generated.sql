-- Shapes ORMs and platform tools generate (Prisma, Supabase, Rails structure dumps).
-- CreateEnum
CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');

-- CreateTable
CREATE TABLE "User" (
    "id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "role" "Role" NOT NULL DEFAULT 'USER',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Post" (
    "id" SERIAL NOT NULL,
    "title" VARCHAR(255) NOT NULL,
    "authorId" TEXT,
    "meta" JSONB NOT NULL DEFAULT '{}',
    CONSTRAINT "Post_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");

-- AddForeignKey
ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AlterEnum
ALTER TYPE "Role" ADD VALUE 'MODERATOR';

create table public.profiles (
  id text not null references public."User" on delete cascade,
  username text unique,
  primary key (id),
  constraint username_length check (char_length(username) >= 3)
);
alter table public.profiles enable row level security;
create policy "Public profiles are viewable by everyone." on public.profiles
  for select using (true);
create policy "Users can update own profile." on public.profiles
  for update using (current_user = id);
create or replace function public.handle_new_user()
returns trigger
language plpgsql
security definer set search_path = ''
as $$
begin
  insert into public.profiles (id, username)
  values (new.id, new.email);
  return new;
end;
$$;
create trigger on_user_created
  after insert on public."User"
  for each row execute procedure public.handle_new_user();
grant usage on schema public to public;
revoke all on function public.handle_new_user() from public;
comment on column public.profiles.username is 'Shown to other users';
SELECT pg_catalog.set_config('search_path', 'public', false);
SET default_tablespace = '';
SET default_table_access_method = heap;
CREATE SEQUENCE public.ar_internal_metadata_seq START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;
ALTER SEQUENCE public.ar_internal_metadata_seq OWNED BY public."Post".id;
