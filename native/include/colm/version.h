#pragma once
namespace colm {
const char* version();
}
