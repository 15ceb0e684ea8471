mod encoder;
mod errors;
mod kubectl;
mod objects;
mod semantics;
mod specials;
mod table;
