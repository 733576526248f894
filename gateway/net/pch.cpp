// Builds the precompiled header net/pch.hpp (target igw_net_pch); no code of its own.
